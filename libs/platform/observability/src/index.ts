export { createLogger, silentLogger, capturingLogger, type Logger, type LogLine } from './logger';
