/** How the prediction reached Modelport: through the V2 gateway, or ingested for an external deployment. */
export type PredictionProtocol = 'rest' | 'grpc' | 'ingest';

export type PredictionStatus = 'ok' | 'error';

/**
 * live: answered to the caller (the champion or a canary). shadow: a shadow challenger's copy of a live
 * request, never answered. replay: a version scored on a stored live request by a replay job.
 */
export type PredictionRole = 'live' | 'shadow' | 'replay';

export const PREDICTION_STATUSES: readonly PredictionStatus[] = ['ok', 'error'];

/**
 * One prediction as the gateway hands it to `PredictionLogWriter.tryAppend`: one row of the
 * `predictions` table. The fields that name the model version are null when the request failed
 * before a version was chosen (validation, traffic policy, no ready version).
 *
 * `inputs`, `outputs` and `parameters` must be JSON values (V2 JSON form: tensor `data` as plain
 * arrays, not typed arrays or Buffers). The writer serialises them in the background, so the
 * gateway must not mutate them after appending.
 */
export interface PredictionLogRow {
  /** The prediction id returned to the client: `newPredictionId()` (UUIDv7). */
  readonly id: string;
  readonly receivedAt: Date;
  readonly deploymentId: string;
  readonly deploymentName: string;
  readonly projectId: string;
  readonly modelId: string | null;
  readonly modelVersionId: string | null;
  readonly modelVersion: number | null;
  readonly artifactSha256: string | null;
  readonly pluginId: string | null;
  readonly pluginVersion: string | null;
  /** The client's V2 request id, if it sent one. */
  readonly requestId: string | null;
  readonly protocol: PredictionProtocol;
  /** The calling user's id (null for anonymous or unknown callers). */
  readonly consumerId: string | null;
  readonly status: PredictionStatus;
  /** HTTP status of the error answer (also for gRPC, mapped), null when status is 'ok'. */
  readonly errorStatus: number | null;
  readonly errorMessage: string | null;
  /** Time from receiving the request to having the answer, in microseconds. */
  readonly latencyUs: number;
  /** The batch dimension of the inputs, when known. */
  readonly inputRows: number | null;
  /** Whether the payload policy chose to keep inputs and outputs; when false they are not written. */
  readonly payloadStored: boolean;
  readonly inputs: unknown;
  readonly outputs: unknown;
  /** The request's V2 `parameters` (metadata, always written when present). */
  readonly parameters: Readonly<Record<string, unknown>> | null;
  /** Absent: live. Monitoring (health, drift, accuracy) reads live rows only. */
  readonly role?: PredictionRole;
  /** For shadow and replay rows: the id of the live prediction this one copies. */
  readonly shadowOf?: string | null;
}

/** A logged prediction as the API shows it: the receipt, plus the payload when it was stored (and asked for). */
export interface PredictionReceipt {
  readonly id: string;
  readonly receivedAt: Date;
  readonly deployment: { readonly id: string; readonly name: string };
  readonly projectId: string;
  /** Null when the request failed before a model version was chosen. */
  readonly modelVersion: {
    readonly id: string;
    readonly modelId: string | null;
    readonly version: number | null;
    readonly artifactSha256: string | null;
  } | null;
  readonly plugin: { readonly id: string; readonly version: string | null } | null;
  readonly requestId: string | null;
  readonly protocol: PredictionProtocol;
  readonly consumerId: string | null;
  readonly status: PredictionStatus;
  readonly error: { readonly status: number | null; readonly message: string | null } | null;
  readonly latencyUs: number;
  readonly inputRows: number | null;
  readonly parameters: Readonly<Record<string, unknown>> | null;
  readonly payloadStored: boolean;
  /** Null when the payload was not stored, or was not asked for (lists leave it out by default). */
  readonly payload: { readonly inputs: unknown; readonly outputs: unknown } | null;
}
