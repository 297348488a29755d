import { createHash } from 'node:crypto';
import type { TestServer } from './test-server';

/** What the fixtures need of a server: its URL, the admin token and GraphQL calls. */
export type ApiClient = Pick<TestServer, 'url' | 'adminToken' | 'gql' | 'ok'>;

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Creates a user with a token and gives them a role in a project (admin token). */
export async function createMember(t: ApiClient, projectId: string | null, name: string, role?: string): Promise<{ userId: string; token: string }> {
  const { createUser } = await t.ok<{ createUser: { id: string } }>(`mutation($name: String!) { createUser(input: { name: $name }) { id } }`, { name });
  if (projectId && role) {
    await t.ok(`mutation($p: ID!, $u: ID!, $r: ProjectRole!) { setProjectMember(input: { projectId: $p, userId: $u, role: $r }) { role } }`, {
      p: projectId,
      u: createUser.id,
      r: role,
    });
  }
  const { createApiToken } = await t.ok<{ createApiToken: { token: string } }>(
    `mutation($u: ID!) { createApiToken(input: { name: "test", userId: $u }) { token } }`,
    { u: createUser.id },
  );
  return { userId: createUser.id, token: createApiToken.token };
}

export async function createProject(t: ApiClient, name: string, token?: string): Promise<string> {
  const data = await t.ok<{ createProject: { id: string } }>(`mutation($n: String!) { createProject(input: { name: $n }) { id } }`, { n: name }, token);
  return data.createProject.id;
}

export async function createModel(t: ApiClient, projectId: string, name: string, token?: string): Promise<string> {
  const data = await t.ok<{ createModel: { id: string } }>(`mutation($p: ID!, $n: String!) { createModel(input: { projectId: $p, name: $n }) { id } }`, { p: projectId, n: name }, token);
  return data.createModel.id;
}

export interface UploadSlot {
  id: string;
  url: string;
  headers: { name: string; value: string }[];
}

export async function createUpload(t: ApiClient, projectId: string, bytes: Buffer, token?: string, declared?: { size?: number; sha256?: string }): Promise<UploadSlot> {
  const data = await t.ok<{ createArtifactUpload: UploadSlot }>(
    `mutation($p: ID!, $s: Float!, $h: String!) { createArtifactUpload(input: { projectId: $p, sizeBytes: $s, sha256: $h }) { id url headers { name value } } }`,
    { p: projectId, s: declared?.size ?? bytes.length, h: declared?.sha256 ?? sha256(bytes) },
    token,
  );
  return data.createArtifactUpload;
}

/** PUTs bytes to an upload slot the way a client would (presigned S3 URL, or the server endpoint with the token). */
export async function putBytes(t: ApiClient, slot: UploadSlot, bytes: Buffer, token: string = t.adminToken): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (slot.url.startsWith(t.url)) headers['authorization'] = `Bearer ${token}`;
  return fetch(slot.url, { method: 'PUT', headers, body: bytes });
}

export const REGISTER = `mutation($input: RegisterModelVersionInput!) {
  registerModelVersion(input: $input) {
    id version artifact { sha256 sizeBytes format }
    signature { inputs { name elementType shape kind } outputs { name elementType shape kind } }
    onnx { irVersion opsets { domain version } producerName }
    lineage { trainingDataUri codeCommit parameters { key value } metrics { key value } }
    tags description artifactDownloadUrl
  }
}`;

/** Upload + register in one go; returns the GraphQL response of registerModelVersion. */
export async function uploadAndRegister(
  t: ApiClient,
  projectId: string,
  modelId: string,
  bytes: Buffer,
  extra: Record<string, unknown> = {},
  token: string = t.adminToken,
) {
  const slot = await createUpload(t, projectId, bytes, token);
  const put = await putBytes(t, slot, bytes, token);
  if (!put.ok) throw new Error(`upload failed with ${put.status}: ${await put.text()}`);
  return t.gql<{ registerModelVersion: Record<string, unknown> & { id: string; version: number; artifactDownloadUrl: string } }>(
    REGISTER,
    { input: { modelId, uploadId: slot.id, sha256: sha256(bytes), sizeBytes: bytes.length, ...extra } },
    token,
  );
}
