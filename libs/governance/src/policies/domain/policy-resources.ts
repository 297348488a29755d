import type { DataSource } from 'typeorm';
import { isUuid } from '@modelport/database';
import { POLICY_SUBJECTS, type PolicySubject } from './policy-catalogue';
import { PolicyError, PolicyErrorCode } from './policy.errors';

/**
 * One stored resource as rules see it: every catalogue attribute of its subject, by attribute name (SQL NULL as
 * null), read from the subject's table by id. For `explainAccess`, so an admin can ask about a real object.
 */
export async function loadPolicyResource(db: DataSource, subject: PolicySubject, id: string): Promise<Record<string, unknown>> {
  const spec = POLICY_SUBJECTS[subject];
  if (!('id' in spec.attributes)) {
    throw new PolicyError(PolicyErrorCode.INVALID_ACCESS_QUESTION, `A ${subject} has no id of its own; ask about it with projectId instead of resourceId.`, { field: 'resourceId' });
  }
  if (!isUuid(id)) throw new PolicyError(PolicyErrorCode.INVALID_ACCESS_QUESTION, `resourceId "${id}" is not an id (a UUID).`, { field: 'resourceId' });
  const columns = Object.entries(spec.attributes).map(([name, a]) => `"${a.column}" AS "${name}"`);
  const rows: Record<string, unknown>[] = await db.query(`SELECT ${columns.join(', ')} FROM ${spec.table} WHERE id = $1 LIMIT 1`, [id]);
  if (rows.length === 0) throw new PolicyError(PolicyErrorCode.RESOURCE_NOT_FOUND, `No ${subject} with id ${id} exists.`, { field: 'resourceId' });
  const row = rows[0]!;
  // Integers arrive as numbers (int4) or strings (int8); rules compare numbers.
  for (const [name, a] of Object.entries(spec.attributes)) if (a.type === 'integer' && typeof row[name] === 'string') row[name] = Number(row[name]);
  return row;
}
