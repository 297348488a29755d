import { asSubject, bearerToken, type AccessService, type AuditSink, type Caller, type Principal } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import {
  checkInputsAgainstSignature,
  checkRequestedOutputs,
  decodeInferOutputs,
  encodeInferInputs,
  toJson,
  type Tensor,
  type TensorLimits,
} from '@modelport/plugin-sdk';
import type { Route, RouteTable } from '../deployments/domain/route-table';
import { newPredictionId, shouldStorePayload, type PredictionLogRow } from '../predictions';
import type { ServingBackend } from '../deployments/domain/serving-backend';
import { fromPluginError, GatewayError, toGatewayError } from './gateway.errors';

/** Where predictions are logged. `hasRoom` is asked before a prediction runs, so none runs that could not be logged. */
export interface PredictionSink {
  hasRoom(): boolean;
  tryAppend(row: PredictionLogRow): boolean;
}

export interface GatewayOptions {
  readonly limits: TensorLimits;
  /** How long an authenticated token is trusted before it is checked again (revocation takes effect within this). */
  readonly authCacheMs: number;
  readonly inferDeadlineMs: number;
  readonly maxRequestedOutputs: number;
}

/** A request's tensors and options, decoded from REST JSON or a gRPC message. */
export interface DecodedCall {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly string[];
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface InferRequest {
  readonly deployment: string;
  /** The V2 version in the path or request ('' when none). */
  readonly version: string;
  readonly id: string;
  readonly protocol: 'rest' | 'grpc';
  /**
   * Decodes and checks the tensors; called once the deployment is known, so
   * that bad input to a deployment is logged as a failed prediction.
   */
  decode(): DecodedCall;
}

/** A decoded request on its way to the plugin (what the batcher joins). */
export interface InferCall extends DecodedCall {
  readonly id: string;
}

export interface InferAnswer {
  readonly route: Route;
  readonly predictionId: string;
  readonly outputs: Tensor[];
  /** The receipt every response carries in `parameters`. */
  readonly receipt: { prediction_id: string; deployment: string; model_version: string; artifact_sha256: string };
}

/**
 * The data plane behind both V2 transports: authenticate (cached), authorise
 * `predict` on the deployment, validate the tensors against the version's
 * signature before any plugin call, run it on the plugin, and log the
 * prediction with its receipt, successful or not.
 */
export class GatewayService {
  private readonly callers = new Map<string, { principal: Principal; identityVersion: number; until: number }>();
  private readonly maxCachedCallers = 10_000;
  private audit: AuditSink | null = null;

  /** Refused predictions (no or bad token, no permission) go to the audit trail from now on. */
  auditTo(sink: AuditSink): void {
    this.audit = sink;
  }

  private denied(caller: Caller | null, deployment: string, projectId: string | null, error: GatewayError): void {
    this.audit
      ?.append({
        actorId: caller?.principal.userId ?? null,
        actorName: caller?.principal.userName ?? null,
        action: 'access.denied',
        resourceType: 'Deployment',
        resourceId: deployment,
        projectId,
        outcome: 'denied',
        requestId: null,
        details: { plane: 'v2', status: error.httpStatus, message: error.message },
      })
      .catch((err: unknown) => this.logger.error({ err }, 'could not append an audit event'));
  }

  constructor(
    private readonly access: AccessService,
    private readonly routes: RouteTable,
    private readonly backend: ServingBackend,
    private readonly sink: PredictionSink,
    private readonly options: GatewayOptions,
    private readonly logger: Logger,
    private readonly batcher?: {
      submit(route: Route, call: InferCall, run: (inputs: readonly Tensor[], outputs: readonly string[]) => Promise<Tensor[]>): Promise<Tensor[]>;
    },
  ) {}

  /** The caller behind an Authorization header value (cached for authCacheMs). */
  async authenticate(header: string | string[] | undefined): Promise<Caller> {
    let token: string | null;
    try {
      token = bearerToken(header);
    } catch (err) {
      const failure = GatewayError.unauthenticated((err as Error).message);
      this.denied(null, '', null, failure);
      throw failure;
    }
    if (!token) {
      const failure = GatewayError.unauthenticated('Send an API token: "Authorization: Bearer <token>".');
      this.denied(null, '', null, failure);
      throw failure;
    }
    const now = Date.now();
    const hit = this.callers.get(token);
    try {
      // One shared read per request: the policy version (the ability is rebuilt when it moved) and the identity
      // version (who tokens are: a revocation, membership or group change drops every cached principal).
      const versions = await this.access.versions();
      if (hit && hit.until > now && hit.identityVersion === versions.identity) return await this.access.callerOf(hit.principal, versions);
      const principal = await this.access.principal(token);
      if (this.callers.size >= this.maxCachedCallers) this.callers.clear();
      const expires = principal.expiresAt ? principal.expiresAt.getTime() : Number.POSITIVE_INFINITY;
      this.callers.set(token, { principal, identityVersion: versions.identity, until: Math.min(now + this.options.authCacheMs, expires) });
      return await this.access.callerOf(principal, versions);
    } catch (err) {
      this.callers.delete(token);
      const failure = toGatewayError(err);
      this.denied(null, '', null, failure);
      throw failure;
    }
  }

  /** The route a caller may read; NOT_FOUND alike for missing and invisible deployments. */
  visibleRoute(caller: Caller, name: string, version: string): Route {
    const route = this.routes.get(name);
    if (!route || !caller.ability.can('read', subjectOf(route))) {
      throw GatewayError.notFound(`No deployment named "${name}" is visible to you. The V2 model name is the deployment name.`);
    }
    if (version !== '' && version !== String(route.modelVersion)) {
      throw GatewayError.notFound(`Deployment "${name}" serves model version ${route.modelVersion}, not "${version}". Leave the version out to use the one it serves.`);
    }
    return route;
  }

  async infer(caller: Caller, request: InferRequest): Promise<InferAnswer> {
    const started = process.hrtime.bigint();
    const receivedAt = new Date();
    let route: Route | null = null;
    let outputs: Tensor[] | null = null;
    let failure: GatewayError | null = null;
    const predictionId = newPredictionId();
    let call: InferCall | null = null;
    try {
      route = this.visibleRoute(caller, request.deployment, request.version);
      if (!caller.ability.can('predict', subjectOf(route))) {
        const refused = GatewayError.forbidden(`You may read deployment "${route.name}" but not predict with it. Ask a project admin for the data-scientist role or higher.`);
        this.denied(caller, route.name, route.projectId, refused);
        throw refused;
      }
      if (route.external) {
        throw GatewayError.conflict(
          `Deployment "${route.name}" is external: its model runs outside Modelport. Send its predictions to POST /v1/deployments/${route.deploymentId}/predictions (NDJSON) instead.`,
        );
      }
      if (route.state !== 'READY' || !route.pluginName || !route.modelKey) {
        throw GatewayError.unavailable(
          route.state === 'FAILED'
            ? `Deployment "${route.name}" failed to load: ${route.failure ?? 'unknown reason'}. Fix it by replacing its model version.`
            : `Deployment "${route.name}" is ${route.state}; it answers once READY.`,
        );
      }
      call = { id: request.id, ...request.decode() };
      checkInputsAgainstSignature(call.inputs, route.signature);
      checkRequestedOutputs(call.outputs, route.signature, this.options.maxRequestedOutputs);
      if (!this.sink.hasRoom()) {
        throw GatewayError.unavailable('The prediction log is full (its database is slow or down), so no prediction is accepted until it catches up. Retry shortly.');
      }
      const held = route;
      const decoded = call;
      const run = (inputs: readonly Tensor[], wanted: readonly string[]) => this.runOnPlugin(held, decoded.id, inputs, wanted);
      const leave = this.routes.enter(held);
      try {
        outputs = this.batcher && held.maxBatchSize ? await this.batcher.submit(held, decoded, run) : await run(decoded.inputs, decoded.outputs);
      } finally {
        leave();
      }
      return {
        route: held,
        predictionId,
        outputs,
        receipt: { prediction_id: predictionId, deployment: held.name, model_version: String(held.modelVersion), artifact_sha256: held.artifactSha256 },
      };
    } catch (err) {
      failure = toGatewayError(err);
      if (failure.httpStatus >= 500) this.logger.warn({ err, deployment: request.deployment, predictionId }, 'prediction failed');
      throw failure;
    } finally {
      // Requests that never reached a deployment (unknown or invisible name) belong to no project's log.
      if (route) {
        const keep = shouldStorePayload({ payloadLogging: route.payloadLogging, sampleRate: route.payloadSampleRate });
        this.sink.tryAppend({
          id: predictionId,
          receivedAt,
          deploymentId: route.deploymentId,
          deploymentName: route.name,
          projectId: route.projectId,
          modelId: route.modelId,
          modelVersionId: route.modelVersionId,
          modelVersion: route.modelVersion,
          artifactSha256: route.artifactSha256,
          pluginId: route.pluginId,
          pluginVersion: route.pluginVersion,
          requestId: request.id || null,
          protocol: request.protocol,
          consumerId: caller.principal.userId,
          status: failure === null ? 'ok' : 'error',
          errorStatus: failure?.httpStatus ?? null,
          errorMessage: failure?.message ?? null,
          latencyUs: Number((process.hrtime.bigint() - started) / 1000n),
          inputRows: call?.inputs[0]?.shape[0] ?? null,
          payloadStored: keep && call !== null,
          inputs: keep && call ? call.inputs.map(toJson) : null,
          outputs: keep && outputs ? outputs.map(toJson) : null,
          parameters: call && Object.keys(call.parameters).length ? call.parameters : null,
        });
      }
    }
  }

  private async runOnPlugin(route: Route, id: string, inputs: readonly Tensor[], wanted: readonly string[]): Promise<Tensor[]> {
    const encoded = encodeInferInputs(inputs, 'raw');
    let response;
    try {
      response = await this.backend.infer(
        route.pluginName!,
        { model_name: route.modelKey!, id, inputs: encoded.inputs, raw_input_contents: encoded.raw_input_contents, outputs: wanted.map((name) => ({ name })) },
        this.options.inferDeadlineMs,
      );
    } catch (err) {
      throw fromPluginError(err, route.name);
    }
    return decodeInferOutputs(response);
  }
}


/** The deployment behind a route, as access rules see it. */
function subjectOf(route: Route): Parameters<Caller['ability']['can']>[1] {
  return (route.subject ?? asSubject('Deployment', { projectId: route.projectId })) as Parameters<Caller['ability']['can']>[1];
}
