import type { TokenScope } from '../identity/domain/token-scopes';
import type { ProjectRole } from './roles';

/** Who is calling: resolved from an API token or a sign-in JWT once per request. */
export interface Principal {
  readonly userId: string;
  readonly userName: string;
  readonly isPlatformAdmin: boolean;
  /** The credential: an API token's id, `jwt:<sha256>` for a sign-in token, or what a job acts for. */
  readonly tokenId: string;
  /** projectId -> role: the user's own role in each project, or a higher one a group of theirs holds. */
  readonly memberships: ReadonlyMap<string, ProjectRole>;
  /**
   * What the credential is limited to (API token scopes, see identity/domain/token-scopes.ts). Absent or
   * null: everything the user's roles allow (sign-in tokens, jobs, tokens created before scopes).
   */
  readonly scopes?: readonly TokenScope[] | null;
  /** The names of the groups the user belongs to (stored ones, and those a sign-in token lists). */
  readonly groups?: readonly string[];
  /** When the credential stops being valid (a token's expiry, a JWT's exp); absent or null: no expiry. */
  readonly expiresAt?: Date | null;
}
