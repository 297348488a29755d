export { createEmptyDatabase, createTestDatabase, type TestDatabase } from './test-database';
export { startS3Server, type S3Server } from './s3-server';
export { eventually, sleep } from './wait';
export { caught } from './rejection';
export { seededRandom } from './random';
