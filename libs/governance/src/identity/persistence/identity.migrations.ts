import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * Users signed in through an identity provider, by the provider's stable key (issuer, subject). A
 * user is never matched by name or e-mail: only this table links a token to a user. Deleting the user
 * unlinks it. Needs `users` (GovernanceIdentity1764172800000).
 */
export class GovernanceExternalIdentities1795800100000 implements MigrationInterface {
  name = 'GovernanceExternalIdentities1795800100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE external_identities (
      issuer text NOT NULL CHECK (issuer <> ''),
      subject text NOT NULL CHECK (subject <> ''),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT external_identities_pkey PRIMARY KEY (issuer, subject)
    )`);
    await q.query('CREATE INDEX external_identities_user_idx ON external_identities (user_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE external_identities');
  }
}

/**
 * API token scopes. Existing tokens (and inserts that name none) get `{admin}`: what they could do
 * before. The list of known scopes is written out here on purpose: a migration must not change when
 * the code's list does; a new scope comes with a migration that widens the check.
 */
export class GovernanceTokenScopes1795800200000 implements MigrationInterface {
  name = 'GovernanceTokenScopes1795800200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_tokens ADD COLUMN scopes text[] NOT NULL DEFAULT '{admin}'`);
    await q.query(`ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scopes_known
      CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['admin', 'read', 'predict', 'deploy', 'registry:write']::text[])`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE api_tokens DROP COLUMN scopes');
  }
}

export const identityMigrations: MigrationClass[] = [GovernanceExternalIdentities1795800100000, GovernanceTokenScopes1795800200000];
