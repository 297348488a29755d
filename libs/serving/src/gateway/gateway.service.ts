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
import type { Route, RouteTable, RouteVariant } from '../deployments/domain/route-table';
import { chooseLiveVersion } from '../traffic/traffic-policy';
import { newPredictionId, shouldStorePayload, type PredictionLogRow } from '../predictions';
import type { ServingBackend } from '../deployments/domain/serving-backend';
import { batchKey, concatRows, sliceRows } from './dynamic-batcher';
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
  /** Shadow copies running at once in this process; a copy beyond it is skipped (counted), never queued. Default 64. */
  readonly maxShadowInflight?: number;
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
  /** Per route: the champion and each canary and shadow as a route of its own (receipt, batching key, plugin). */
  private readonly targets = new WeakMap<Route, { canaries: Route[]; shadows: Route[]; live: { versionId: string; weight: number }[] }>();
  private shadowInflight = 0;
  /** Shadow copies gathering into one plugin call per shadow and input layout (see runShadows). */
  private readonly shadowBatches = new Map<string, { copies: ShadowCopy[]; rows: number; timer: NodeJS.Timeout }>();
  private shadowWaiting = 0;
  /** Batches whose gathering window has closed, waiting for no live request to be at its plugin. */
  private readonly shadowsReady = new Set<string>();
  /** Live requests at their plugin in this process. */
  private liveInflight = 0;
  /** The last answered live request of each deployment: a promotion warms the new champion with it. */
  private readonly lastLive = new Map<string, InferCall>();
  /** Shadow copies run, skipped because too many were running, and failed (never seen by callers). */
  readonly shadowStats = { run: 0, skipped: 0, failed: 0 };
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
    if (version !== '' && version !== String(route.modelVersion) && !route.canaries?.some((c) => String(c.modelVersion) === version)) {
      const live = [route.modelVersion, ...(route.canaries ?? []).map((c) => c.modelVersion)].join(', ');
      throw GatewayError.notFound(`Deployment "${name}" serves model version ${live}, not "${version}". Leave the version out to let its traffic policy choose.`);
    }
    return route;
  }

  private targetsOf(route: Route): { canaries: Route[]; shadows: Route[]; live: { versionId: string; weight: number }[] } {
    let targets = this.targets.get(route);
    if (!targets) {
      const as = (v: RouteVariant): Route => ({
        ...route,
        modelVersionId: v.modelVersionId,
        modelVersion: v.modelVersion,
        artifactSha256: v.artifactSha256,
        pluginName: v.pluginName,
        pluginId: v.pluginId,
        pluginVersion: v.pluginVersion,
        modelKey: v.modelKey,
        signature: v.signature,
        canaries: [],
        shadows: [],
      });
      const canaries = route.canaries ?? [];
      const championWeight = 100 - canaries.reduce((sum, c) => sum + c.weight, 0);
      targets = {
        canaries: canaries.map(as),
        shadows: (route.shadows ?? []).map(as),
        live: [{ versionId: route.modelVersionId, weight: championWeight }, ...canaries.map((c) => ({ versionId: c.modelVersionId, weight: c.weight }))],
      };
      this.targets.set(route, targets);
    }
    return targets;
  }

  /**
   * The live version that answers: the one the request names, else by the canary weights (the champion takes
   * the rest), by a hash of the sticky key when the deployment has one.
   */
  private choose(route: Route, version: string, caller: Caller, parameters: Readonly<Record<string, unknown>>): Route {
    const canaries = route.canaries ?? [];
    if (canaries.length === 0) return route;
    const targets = this.targetsOf(route);
    if (version !== '') return version === String(route.modelVersion) ? route : targets.canaries.find((c) => String(c.modelVersion) === version)!;
    const sticky = route.stickyBy === 'consumer' ? caller.principal.userId : route.stickyBy === 'request-parameter' ? parameters[route.stickyParameter ?? ''] : null;
    const key = sticky === null || sticky === undefined ? null : String(sticky);
    const chosen = chooseLiveVersion(targets, key);
    return chosen === route.modelVersionId ? route : targets.canaries.find((c) => c.modelVersionId === chosen)!;
  }

  async infer(caller: Caller, request: InferRequest): Promise<InferAnswer> {
    const started = process.hrtime.bigint();
    const receivedAt = new Date();
    let route: Route | null = null;
    let outputs: Tensor[] | null = null;
    let failure: GatewayError | null = null;
    const predictionId = newPredictionId();
    let call: InferCall | null = null;
    let shadowsOf: { route: Route; call: InferCall } | null = null;
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
      const entered = route;
      // From here the prediction is the chosen version's: its receipt and log row name it.
      route = this.choose(route, request.version, caller, call.parameters);
      checkInputsAgainstSignature(call.inputs, route.signature);
      checkRequestedOutputs(call.outputs, route.signature, this.options.maxRequestedOutputs);
      if (!this.sink.hasRoom()) {
        throw GatewayError.unavailable('The prediction log is full (its database is slow or down), so no prediction is accepted until it catches up. Retry shortly.');
      }
      const held = route;
      const decoded = call;
      const run = (inputs: readonly Tensor[], wanted: readonly string[]) => this.runOnPlugin(held, decoded.id, inputs, wanted);
      const leave = this.routes.enter(entered);
      this.liveInflight++;
      try {
        outputs = this.batcher && held.maxBatchSize ? await this.batcher.submit(held, decoded, run) : await run(decoded.inputs, decoded.outputs);
      } finally {
        leave();
        // Waiting shadow batches go once the answer is on its way (next turn), if no live request arrived meanwhile.
        if (--this.liveInflight === 0 && this.shadowsReady.size) setImmediate(() => this.flushReadyShadows());
      }
      if (entered.shadows?.length) shadowsOf = { route: entered, call: decoded };
      this.lastLive.set(held.deploymentId, decoded);
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
        // Shadow copies start once the caller has its answer; their rows keep outputs when this one keeps its payload.
        if (shadowsOf) {
          const copy = shadowsOf;
          setImmediate(() => this.runShadows(copy.route, copy.call, predictionId, caller, keep, request.protocol));
        }
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

  /**
   * Runs a live request's copy on every shadow challenger and logs each answer (role shadow, with the live
   * prediction's id). Never awaited by the request: a slow, failing or dead shadow costs the caller nothing.
   * Copies of the same layout gather for SHADOW_BATCH_WINDOW_MS (or SHADOW_BATCH_ROWS rows) and run as one
   * plugin call when no live request is at its plugin in this process, so shadows take the plugin for a few
   * short calls a second rather than one per request. Copies beyond maxShadowInflight (waiting or running) are
   * skipped rather than queued, so a stuck shadow cannot pile up memory.
   */
  private runShadows(route: Route, call: InferCall, liveId: string, caller: Caller, keepOutputs: boolean, protocol: InferRequest['protocol']): void {
    const max = this.options.maxShadowInflight ?? 64;
    for (const shadow of this.targetsOf(route).shadows) {
      if (this.shadowInflight + this.shadowWaiting >= max || !this.sink.hasRoom()) {
        this.shadowStats.skipped++;
        continue;
      }
      const rows = call.inputs[0]?.shape[0] ?? 1;
      const batchable = rows > 0 && call.inputs.every((t) => t.shape.length > 0 && t.shape[0] === rows) && shadow.signature.inputs.every((t) => t.shape[0] === -1);
      const copy: ShadowCopy = { shadow, call, rows, liveId, caller, keepOutputs, protocol };
      const key = batchable ? batchKey(shadow, call) : `${newPredictionId()}`;
      let batch = this.shadowBatches.get(key);
      if (!batch) {
        batch = { copies: [], rows: 0, timer: setTimeout(() => this.flushShadows(key), SHADOW_BATCH_WINDOW_MS) };
        batch.timer.unref?.();
        this.shadowBatches.set(key, batch);
      }
      batch.copies.push(copy);
      batch.rows += rows;
      this.shadowWaiting++;
      if (!batchable || batch.rows >= SHADOW_BATCH_ROWS) this.flushShadows(key);
    }
  }

  private flushReadyShadows(): void {
    if (this.liveInflight > 0) return;
    for (const key of [...this.shadowsReady]) this.flushShadows(key);
  }

  /**
   * Runs a gathered batch of shadow copies once no live request is at its plugin: at once when none is, else
   * when the last one finishes (see infer), or SHADOW_MAX_WAIT_MS later at the latest.
   */
  private flushShadows(key: string, force = false): void {
    const batch = this.shadowBatches.get(key);
    if (!batch) return;
    if (this.liveInflight > 0 && !force) {
      clearTimeout(batch.timer);
      batch.timer = setTimeout(() => this.flushShadows(key, true), SHADOW_MAX_WAIT_MS);
      batch.timer.unref?.();
      this.shadowsReady.add(key);
      return;
    }
    this.shadowsReady.delete(key);
    this.shadowBatches.delete(key);
    clearTimeout(batch.timer);
    const { copies } = batch;
    this.shadowWaiting -= copies.length;
    this.shadowInflight += copies.length;
    this.shadowStats.run += copies.length;
    const first = copies[0]!;
    const inputs = copies.length === 1 ? first.call.inputs : first.call.inputs.map((t, i) => concatRows(copies.map((c) => c.call.inputs[i]!), batch.rows));
    const started = process.hrtime.bigint();
    this.runOnPlugin(first.shadow, `${first.call.id || first.liveId}/shadow`, inputs, first.call.outputs).then(
      (outputs) => {
        const latencyUs = Number((process.hrtime.bigint() - started) / 1000n);
        let offset = 0;
        for (const c of copies) {
          let own: Tensor[] | null = null;
          let failure: GatewayError | null = null;
          try {
            own = copies.length === 1 ? outputs : outputs.map((o) => sliceRows(o, offset, c.rows, batch.rows));
          } catch (err) {
            failure = toGatewayError(err);
          }
          offset += c.rows;
          this.logShadow(c, own, failure, latencyUs);
        }
      },
      (err: unknown) => {
        const latencyUs = Number((process.hrtime.bigint() - started) / 1000n);
        for (const c of copies) this.logShadow(c, null, toGatewayError(err), latencyUs);
      },
    );
  }

  /** The log row of one shadow copy; its latency is the plugin call of its batch. */
  private logShadow(c: ShadowCopy, outputs: Tensor[] | null, failure: GatewayError | null, latencyUs: number): void {
    this.shadowInflight--;
    if (failure) this.shadowStats.failed++;
    const { shadow, call } = c;
    this.sink.tryAppend({
      id: newPredictionId(),
      receivedAt: new Date(),
      deploymentId: shadow.deploymentId,
      deploymentName: shadow.name,
      projectId: shadow.projectId,
      modelId: shadow.modelId,
      modelVersionId: shadow.modelVersionId,
      modelVersion: shadow.modelVersion,
      artifactSha256: shadow.artifactSha256,
      pluginId: shadow.pluginId,
      pluginVersion: shadow.pluginVersion,
      requestId: call.id || null,
      protocol: c.protocol,
      consumerId: c.caller.principal.userId,
      status: failure === null ? 'ok' : 'error',
      errorStatus: failure?.httpStatus ?? null,
      errorMessage: failure?.message ?? null,
      latencyUs,
      inputRows: c.rows,
      payloadStored: c.keepOutputs && outputs !== null,
      inputs: null,
      outputs: c.keepOutputs && outputs ? outputs.map(toJson) : null,
      parameters: null,
      role: 'shadow',
      shadowOf: c.liveId,
    });
  }

  /**
   * Runs the deployment's last live request once on a model about to take live traffic (a promoted challenger
   * that has only seen shadow batches), so the first callers do not pay its first run at this input shape.
   * Best effort: errors and a slow answer (beyond timeoutMs) are ignored.
   */
  async warm(deploymentId: string, target: { pluginName: string; modelKey: string }, timeoutMs = 2000): Promise<void> {
    const call = this.lastLive.get(deploymentId);
    if (!call) return;
    const route = { name: deploymentId, pluginName: target.pluginName, modelKey: target.modelKey } as Route;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.runOnPlugin(route, 'warm-up', call.inputs, call.outputs).catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
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


/** How long shadow copies gather before their batch runs, and the most rows of one batch. */
const SHADOW_BATCH_WINDOW_MS = 20;
const SHADOW_BATCH_ROWS = 64;
/** The longest a gathered batch waits for a moment without live requests before it runs anyway. */
const SHADOW_MAX_WAIT_MS = 50;

interface ShadowCopy {
  readonly shadow: Route;
  readonly call: InferCall;
  readonly rows: number;
  readonly liveId: string;
  readonly caller: Caller;
  readonly keepOutputs: boolean;
  readonly protocol: InferRequest['protocol'];
}

/** The deployment behind a route, as access rules see it. */
function subjectOf(route: Route): Parameters<Caller['ability']['can']>[1] {
  return (route.subject ?? asSubject('Deployment', { projectId: route.projectId })) as Parameters<Caller['ability']['can']>[1];
}
