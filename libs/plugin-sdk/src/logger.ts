/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Readonly<Record<string, unknown>>;

/** What the SDK logs through. Plugin code may pass its own (pino fits) in ServePluginOptions.logger. */
export interface PluginLogger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(RANK, value);
}

/**
 * A tiny structured logger: one JSON object per line, on stderr by default
 * (stdout belongs to the launch handshake). Errors in `err` are flattened to
 * their message and stack.
 */
export function jsonLineLogger(
  options: { name?: string; level?: LogLevel; write?: (line: string) => void; now?: () => Date } = {},
): PluginLogger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel) => (msg: string, fields: LogFields = {}) => {
    if (RANK[level] < min) return;
    const record: Record<string, unknown> = { level, time: now().toISOString() };
    if (options.name) record['name'] = options.name;
    for (const [key, value] of Object.entries(fields)) record[key] = key === 'err' ? serializeError(value) : value;
    record['msg'] = msg;
    write(`${safeStringify(record)}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** Drops everything; for tests and embedding. */
export const silentPluginLogger: PluginLogger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

function serializeError(value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  return value;
}

function safeStringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  } catch {
    return JSON.stringify({ level: record['level'], time: record['time'], msg: record['msg'], logError: 'fields could not be serialized' });
  }
}
