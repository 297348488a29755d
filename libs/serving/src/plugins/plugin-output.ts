import type { Logger } from '@modelport/observability';

export type PluginStream = 'stdout' | 'stderr';

const MAX_LINE = 16 * 1024;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];
const PINO_LEVELS: Record<number, Level> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Fields of a structured line the host log already has (or must not be overwritten). */
const DROPPED = new Set(['level', '@level', 'time', '@timestamp', 'timestamp', 'msg', 'message', '@message', 'pid', 'hostname', 'v', 'plugin', 'stream']);

function levelOf(value: unknown): Level | null {
  if (typeof value === 'number') return PINO_LEVELS[value] ?? null;
  if (typeof value !== 'string') return null;
  const name = value.toLowerCase();
  if (name === 'warning') return 'warn';
  return (LEVELS as readonly string[]).includes(name) ? (name as Level) : null;
}

/**
 * Writes one line a plugin printed into the host log, with the plugin's name
 * (from the logger's bindings), the stream and the pid. A JSON line from a
 * structured logger (pino, hclog, zap, structlog: `level` and `msg` or
 * `message`) keeps its level, message and fields; any other line is logged
 * as text at info.
 */
export function forwardPluginLine(logger: Logger, stream: PluginStream, pid: number | undefined, raw: string): void {
  const line = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}… (${raw.length - MAX_LINE} more characters)` : raw.replace(/\r$/, '');
  if (line.trim() === '') return;
  if (line.startsWith('{') && line.endsWith('}')) {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = null;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const record = parsed as Record<string, unknown>;
      const msg = record['msg'] ?? record['message'] ?? record['@message'];
      const level = levelOf(record['level'] ?? record['@level']);
      if (typeof msg === 'string' && level) {
        const fields: Record<string, unknown> = { stream, pid };
        for (const [key, value] of Object.entries(record)) if (!DROPPED.has(key)) fields[key] = value;
        logger[level](fields, msg);
        return;
      }
    }
  }
  logger.info({ stream, pid }, line);
}
