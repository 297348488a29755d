export { startEmbeddedPostgres, freePort, type EmbeddedDatabase } from './embedded-postgres';
export {
  createDataSource,
  runMigrations,
  migrationsFingerprint,
  MIGRATIONS_TABLE,
  type DatabaseSchema,
  type EntityList,
  type MigrationClass,
} from './data-source';
export { sqlState, uniqueViolation } from './postgres-errors';
export { pageSize, encodeCursor, decodeCursor, toPage, type CursorPart, type Page, type PageRequest } from './pagination';
export { isUuid } from './uuid';
