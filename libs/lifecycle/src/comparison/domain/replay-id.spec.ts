import { isUuid } from '@modelport/database';
import { replayPredictionId } from './replay-id';

describe('replayPredictionId', () => {
  const run = '0b6d6a0e-8f1c-4c62-9d55-7c1f0f3e2a10';
  const live = '01937a2e-5b7c-7d4e-8f10-112233445566';

  it('is a valid version-5 UUID, the same for the same run and live prediction', () => {
    const id = replayPredictionId(run, live);
    expect(isUuid(id)).toBe(true);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(replayPredictionId(run, live)).toBe(id);
    expect(replayPredictionId(run.toUpperCase(), live.toUpperCase())).toBe(id);
  });

  it('differs per run and per live prediction', () => {
    const ids = new Set([replayPredictionId(run, live), replayPredictionId(live, run), replayPredictionId(run, run), replayPredictionId(live, live)]);
    expect(ids.size).toBe(4);
    const many = new Set(Array.from({ length: 10_000 }, (_, i) => replayPredictionId(run, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)));
    expect(many.size).toBe(10_000);
  });
});
