import { QueryFailedError } from 'typeorm';

/** PostgreSQL SQLSTATE of a failed query, or null for other errors. */
export function sqlState(err: unknown): string | null {
  if (err instanceof QueryFailedError) {
    const code = (err.driverError as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : null;
  }
  return null;
}

/** The violated constraint's name when err is a unique violation, else null. */
export function uniqueViolation(err: unknown): string | null {
  if (sqlState(err) !== '23505') return null;
  const constraint = ((err as QueryFailedError).driverError as { constraint?: unknown }).constraint;
  return typeof constraint === 'string' ? constraint : '';
}
