import pino, { type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** The one way Modelport code gets a logger: structured JSON (pino), one field set per component. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    name: options.name ?? 'modelport',
    base: { service: 'modelport' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'authorization', 'token'], censor: '[redacted]' },
  });
}

/** A logger that drops everything, for unit tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
