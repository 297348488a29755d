import type { Action, SubjectType } from '../../domain/ability';
import type { ColumnSpec, ColumnType, FieldMap } from './where-from-ability';

/**
 * What stored policy rules may name: actions, subjects, and per subject the attributes that conditions may test
 * (with the column that holds each, so list queries can filter by the same rules) and that `fields` may list.
 */

const ACTIONS: Record<Action, true> = { manage: true, read: true, create: true, update: true, delete: true, predict: true, register: true };
export const POLICY_ACTIONS = Object.keys(ACTIONS) as Action[];

/** Subjects a project role can be granted: all of them live in a project (a Project is its own project). */
export type PolicySubject = Exclude<SubjectType, 'all' | 'User' | 'ApiToken' | 'Plugin'>;

export interface AttributeSpec {
  readonly column: string;
  /** `text[]` and `timestamptz` attributes may be listed in `fields` but not tested in conditions. */
  readonly type: ColumnType | 'text[]' | 'timestamptz';
  /** Whether conditions may test it (payloads and lists may only be hidden through `fields`). */
  readonly filterable: boolean;
}

export interface SubjectSpec {
  readonly table: string;
  /** The attribute naming the subject's project; rules of a membership are scoped by it. */
  readonly scopeKey: 'projectId' | 'id';
  readonly attributes: Readonly<Record<string, AttributeSpec>>;
}

const uuid = (column: string): AttributeSpec => ({ column, type: 'uuid', filterable: true });
const text = (column: string): AttributeSpec => ({ column, type: 'text', filterable: true });
const integer = (column: string): AttributeSpec => ({ column, type: 'integer', filterable: true });
const boolean = (column: string): AttributeSpec => ({ column, type: 'boolean', filterable: true });
const json = (column: string, filterable = true): AttributeSpec => ({ column, type: 'jsonb', filterable });
const textList = (column: string): AttributeSpec => ({ column, type: 'text[]', filterable: false });
const time = (column: string): AttributeSpec => ({ column, type: 'timestamptz', filterable: false });

export const POLICY_SUBJECTS: Readonly<Record<PolicySubject, SubjectSpec>> = {
  Project: {
    table: 'projects',
    scopeKey: 'id',
    attributes: { id: uuid('id'), name: text('name'), description: text('description'), createdBy: uuid('created_by'), createdAt: time('created_at') },
  },
  Membership: {
    table: 'project_memberships',
    scopeKey: 'projectId',
    attributes: { projectId: uuid('project_id'), userId: uuid('user_id'), role: text('role'), createdAt: time('created_at') },
  },
  Model: {
    table: 'models',
    scopeKey: 'projectId',
    attributes: {
      id: uuid('id'),
      projectId: uuid('project_id'),
      name: text('name'),
      description: text('description'),
      ownerId: uuid('owner_id'),
      tags: textList('tags'),
      latestVersion: integer('latest_version'),
      createdAt: time('created_at'),
      updatedAt: time('updated_at'),
    },
  },
  ModelVersion: {
    table: 'model_versions',
    scopeKey: 'projectId',
    attributes: {
      id: uuid('id'),
      modelId: uuid('model_id'),
      projectId: uuid('project_id'),
      version: integer('version'),
      description: text('description'),
      tags: textList('tags'),
      format: text('format'),
      artifactSha256: text('artifact_sha256'),
      artifactSize: integer('artifact_size'),
      artifactKey: text('artifact_key'),
      signature: json('signature', false),
      onnx: json('onnx', false),
      lineage: json('lineage'),
      uploadId: uuid('upload_id'),
      createdBy: uuid('created_by'),
      createdAt: time('created_at'),
    },
  },
  ModelAlias: {
    table: 'model_aliases',
    scopeKey: 'projectId',
    attributes: {
      modelId: uuid('model_id'),
      alias: text('alias'),
      versionId: uuid('version_id'),
      projectId: uuid('project_id'),
      updatedBy: uuid('updated_by'),
      updatedAt: time('updated_at'),
    },
  },
  Upload: {
    table: 'artifact_uploads',
    scopeKey: 'projectId',
    attributes: {
      id: uuid('id'),
      projectId: uuid('project_id'),
      createdBy: uuid('created_by'),
      expectedSize: integer('expected_size'),
      status: text('status'),
      versionId: uuid('version_id'),
      createdAt: time('created_at'),
      expiresAt: time('expires_at'),
      finishedAt: time('finished_at'),
    },
  },
  Deployment: {
    table: 'deployments',
    scopeKey: 'projectId',
    attributes: {
      id: uuid('id'),
      projectId: uuid('project_id'),
      name: text('name'),
      modelId: uuid('model_id'),
      modelVersionId: uuid('model_version_id'),
      sourceAlias: text('source_alias'),
      state: text('state'),
      pluginName: text('plugin_name'),
      runtimeConfig: json('runtime_config'),
      payloadLogging: text('payload_logging'),
      production: boolean('production'),
      revision: integer('revision'),
      maxBatchSize: integer('max_batch_size'),
      createdBy: uuid('created_by'),
      createdAt: time('created_at'),
      updatedAt: time('updated_at'),
    },
  },
  Prediction: {
    table: 'predictions',
    scopeKey: 'projectId',
    attributes: {
      id: uuid('id'),
      projectId: uuid('project_id'),
      deploymentId: uuid('deployment_id'),
      deploymentName: text('deployment_name'),
      modelId: uuid('model_id'),
      modelVersionId: uuid('model_version_id'),
      modelVersion: integer('model_version'),
      consumerId: uuid('consumer_id'),
      status: text('status'),
      protocol: text('protocol'),
      latencyUs: integer('latency_us'),
      errorStatus: integer('error_status'),
      errorMessage: text('error_message'),
      requestId: text('request_id'),
      pluginId: text('plugin_id'),
      receivedAt: time('received_at'),
      inputs: json('inputs', false),
      outputs: json('outputs', false),
      parameters: json('parameters', false),
    },
  },
};

export const POLICY_SUBJECT_NAMES = Object.keys(POLICY_SUBJECTS) as PolicySubject[];

export function isPolicySubject(value: unknown): value is PolicySubject {
  return typeof value === 'string' && Object.hasOwn(POLICY_SUBJECTS, value);
}

export function isPolicyAction(value: unknown): value is Action {
  return typeof value === 'string' && Object.hasOwn(ACTIONS, value);
}

/**
 * The field map `whereFromAbility` needs for a subject's table, from the catalogue: every attribute conditions
 * may test. `alias` overrides the alias of every column (default: the alias passed to `whereFromAbility`).
 */
export function policyFieldMap(subject: PolicySubject, alias?: string): FieldMap {
  const map: Record<string, ColumnSpec> = {};
  for (const [name, spec] of Object.entries(POLICY_SUBJECTS[subject].attributes)) {
    if (!spec.filterable || spec.type === 'text[]' || spec.type === 'timestamptz') continue;
    map[name] = alias ? { column: spec.column, type: spec.type, alias } : { column: spec.column, type: spec.type };
  }
  return map;
}
