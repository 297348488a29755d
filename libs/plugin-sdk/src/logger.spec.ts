import { jsonLineLogger } from './logger';

describe('jsonLineLogger', () => {
  it('writes one JSON object per line at or above its level, errors flattened', () => {
    const lines: string[] = [];
    const logger = jsonLineLogger({ name: 'p', level: 'info', write: (l) => lines.push(l), now: () => new Date(0) });
    logger.debug('hidden');
    logger.info('loaded', { modelKey: 'k', size: 10n });
    logger.error('failed', { err: new Error('boom') });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({ level: 'info', time: '1970-01-01T00:00:00.000Z', name: 'p', modelKey: 'k', size: '10', msg: 'loaded' });
    expect(JSON.parse(lines[1]!).err).toMatchObject({ type: 'Error', message: 'boom' });
  });
});
