// Test helpers shared with the rest of the platform.
export { capturingLogger, type LogLine } from '@modelport/observability';
export { eventually, sleep } from '@modelport/testing';
