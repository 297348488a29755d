import type { ProjectRole } from './roles';

/** Who is calling: resolved from an API token once per request. */
export interface Principal {
  readonly userId: string;
  readonly userName: string;
  readonly isPlatformAdmin: boolean;
  readonly tokenId: string;
  /** projectId -> role */
  readonly memberships: ReadonlyMap<string, ProjectRole>;
}
