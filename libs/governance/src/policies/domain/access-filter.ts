import type { Action, AppAbility } from '../../domain/ability';
import { policyFieldMap, type PolicySubject } from './policy-catalogue';
import type { FieldMap } from './where-from-ability';
import { whereFromAbility, type SqlWhere } from './where-from-ability';

const fieldMaps = new Map<PolicySubject, FieldMap>();

/**
 * The SQL condition (over `alias`, the subject's table) that keeps exactly the rows the caller may `action`:
 * for list queries, so a page is filled from permitted rows only. Platform admins get `(TRUE)`.
 *
 *   const where = accessFilter(caller.ability, 'read', 'Deployment', 'd');
 *   qb.andWhere(where.sql, where.params);
 */
export function accessFilter(ability: AppAbility, action: Action, subject: PolicySubject, alias: string): SqlWhere {
  let map = fieldMaps.get(subject);
  if (!map) {
    map = policyFieldMap(subject);
    fieldMaps.set(subject, map);
  }
  return whereFromAbility(ability, action, subject, alias, map);
}
