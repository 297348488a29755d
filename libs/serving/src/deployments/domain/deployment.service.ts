import { decodeCursor, isUuid, pageSize, toPage, uniqueViolation, type Page, type PageRequest } from '@modelport/database';
import { accessFilter, ApprovalAction, assertCan, asSubject, type ApprovalService, type Caller, type ChangeApplier, type ChangeRequestEntity } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import type { RegistryService } from '@modelport/registry';
import type { ArtifactStore } from '@modelport/storage';
import type { DataSource, EntityManager } from 'typeorm';
import { DeploymentEntity, DeploymentEventEntity, DeploymentVersionEntity } from '../persistence/deployment.entity';
import { DeploymentError, DeploymentErrorCode } from './deployment.errors';
import { PAYLOAD_LOGGING, servingSignature, validateDeploymentName, type PayloadLogging } from './deployment.types';
import type { Route, RouteTable, RouteVariant } from './route-table';
import type { ServingBackend } from './serving-backend';
import { signatureDifferences } from '../../traffic/traffic-policy';

export interface DeploymentOptions {
  readonly maxPageSize: number;
  /** How long a replaced version may keep finishing requests before it is unloaded anyway. */
  readonly drainTimeoutMs: number;
  /** Lifetime of the artifact URL handed to a plugin. */
  readonly artifactUrlTtlSeconds: number;
}

export interface CreateDeploymentInput {
  readonly projectId: string;
  readonly name: string;
  readonly modelId: string;
  readonly version?: number | null;
  readonly alias?: string | null;
  readonly plugin?: string | null;
  readonly runtimeConfig?: Readonly<Record<string, string>> | null;
  readonly payloadLogging?: PayloadLogging | null;
  readonly payloadSampleRate?: number | null;
  readonly maxBatchSize?: number | null;
  readonly maxBatchDelayMs?: number | null;
  readonly production?: boolean | null;
  /** `external`: the model runs outside Modelport; nothing is loaded and predictions arrive through ingestion. */
  readonly kind?: 'served' | 'external' | null;
}

/** The placement of an external deployment: no plugin, nothing loaded. */
export const EXTERNAL_PLUGIN = 'external';

export interface ReplaceModelVersionInput {
  readonly deploymentId: string;
  readonly version?: number | null;
  readonly alias?: string | null;
}

/** A change that ran, or that waits for approval (then the deployment is as it was). */
export interface DeploymentChange {
  readonly deployment: DeploymentEntity;
  readonly changeRequest: ChangeRequestEntity | null;
}

const CONFIG_KEY = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * Deployments: one step from a registered version to a served model. Creating
 * resolves the version, loads it on a plugin, waits for it and routes traffic;
 * replacing loads the new version beside the old one, switches the route in
 * one write, drains and unloads the old; a failed load leaves the old serving.
 */
export class DeploymentService {
  /** @internal Set by TrafficService: applies an approved promotion (a DEPLOYMENT_REPLACE_VERSION request of kind promote). */
  promotionApplier: ChangeApplier['apply'] | null = null;

  /** Deployments with a rollout running in this process; a second one is refused. @internal (TrafficService) */
  readonly rollouts = new Set<string>();

  constructor(
    private readonly db: DataSource,
    private readonly registry: RegistryService,
    private readonly store: ArtifactStore,
    private readonly backend: ServingBackend,
    private readonly routes: RouteTable,
    private readonly options: DeploymentOptions,
    private readonly logger: Logger,
    private readonly approvals: ApprovalService | null = null,
  ) {
    this.approvals?.registerApplier(ApprovalAction.DEPLOYMENT_REPLACE_VERSION, {
      checkPrecondition: (request) => this.stillAt(request.targetId, request.precondition),
      apply: async (request, actingAs) => {
        // A promotion of a loaded challenger changes the served version too (TrafficService applies it).
        if (request.payload['kind'] === 'promote' && this.promotionApplier) return this.promotionApplier(request, actingAs);
        const { deployment } = await this.replaceModelVersion(actingAs.author, request.payload as unknown as ReplaceModelVersionInput, {
          approved: true,
          changeRequestId: request.id,
        });
        return { deploymentId: deployment.id, revision: deployment.revision, modelVersionId: deployment.modelVersionId };
      },
    });
    this.approvals?.registerApplier(ApprovalAction.DEPLOYMENT_CREATE, {
      checkPrecondition: async (request) => {
        const still = await this.stillAt(request.targetId, request.precondition);
        if (!still.ok) return still;
        const deployment = await this.reload(String(request.targetId));
        return deployment.state === 'AWAITING_APPROVAL' ? { ok: true } : { ok: false, reason: `the deployment is ${deployment.state}, no longer awaiting approval` };
      },
      apply: async (request, actingAs) => {
        const deployment = await this.reload(String(request.targetId));
        // The author must still be allowed to create it, with their roles as they are now.
        assertCan(actingAs.author.ability, 'create', 'Deployment', { ...deployment });
        await this.db.transaction(async (tx) => {
          await tx.getRepository(DeploymentEntity).update({ id: deployment.id }, { state: 'PENDING', updatedAt: new Date() });
          await this.event(tx, deployment.id, 'approved', null, null, deployment.modelVersionId, `by ${actingAs.approverIds.length} reviewer(s)`, request.id);
        });
        await this.bringUp(deployment.id, actingAs.authorId, request.id);
        const ready = await this.reload(deployment.id);
        return { deploymentId: ready.id, state: ready.state };
      },
    });
    // A creation that is rejected, expires, is cancelled or goes stale leaves no deployment behind.
    this.approvals?.subscribe(async (notice) => {
      if (notice.action !== ApprovalAction.DEPLOYMENT_CREATE || !notice.targetId) return;
      if (!['rejected', 'expired', 'cancelled', 'stale', 'failed'].includes(notice.kind)) return;
      await this.closeUnapproved(notice.targetId, `the change request was ${notice.kind}${notice.detail ? `: ${notice.detail}` : ''}`, notice.requestId);
    });
    this.approvals?.registerApplier(ApprovalAction.DEPLOYMENT_DELETE, {
      checkPrecondition: (request) => this.stillAt(request.targetId, request.precondition),
      apply: async (request, actingAs) => {
        const { deployment } = await this.delete(actingAs.author, String(request.targetId), { approved: true });
        return { deploymentId: deployment.id, deleted: true };
      },
    });
  }

  /** An approved change applies only to the deployment the reviewers saw: same revision, not deleted. */
  /** @internal */
  async stillAt(deploymentId: string | null, precondition: Record<string, unknown>): Promise<{ ok: true } | { ok: false; reason: string }> {
    const deployment = deploymentId && isUuid(deploymentId) ? await this.db.getRepository(DeploymentEntity).findOneBy({ id: deploymentId }) : null;
    if (!deployment || deployment.deletedAt) return { ok: false, reason: 'the deployment was deleted after the request was made' };
    const expected = precondition['deploymentRevision'];
    if (deployment.revision !== expected) {
      return { ok: false, reason: `the deployment changed after the request was made (revision ${String(expected)} then, ${deployment.revision} now); make a new request` };
    }
    return { ok: true };
  }

  // ---- reads ----------------------------------------------------------------

  async get(caller: Caller, id: string): Promise<DeploymentEntity> {
    const deployment = isUuid(id) ? await this.db.getRepository(DeploymentEntity).findOneBy({ id }) : null;
    if (!deployment || deployment.deletedAt || !caller.ability.can('read', asSubject('Deployment', { ...deployment }))) {
      throw notFound(id);
    }
    return deployment;
  }

  async getByName(caller: Caller, name: string): Promise<DeploymentEntity> {
    const deployment = await this.db.getRepository(DeploymentEntity).createQueryBuilder('d').where('d.name = :name AND d.deleted_at IS NULL', { name }).getOne();
    if (!deployment || !caller.ability.can('read', asSubject('Deployment', { ...deployment }))) throw notFound(name);
    return deployment;
  }

  async list(caller: Caller, filter: { projectId?: string | null }, page: PageRequest): Promise<Page<DeploymentEntity>> {
    const limit = pageSize(page.first, this.options.maxPageSize);
    const access = accessFilter(caller.ability, 'read', 'Deployment', 'd');
    const qb = this.db
      .getRepository(DeploymentEntity)
      .createQueryBuilder('d')
      .where('d.deleted_at IS NULL')
      .orderBy('d.created_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .limit(limit + 1);
    qb.andWhere(access.sql, access.params);
    if (filter.projectId) {
      if (!isUuid(filter.projectId)) throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, `"${filter.projectId}" is not a project id (a UUID).`);
      qb.andWhere('d.project_id = :projectId', { projectId: filter.projectId });
    }
    if (page.after) {
      const [at, id] = decodeCursor(page.after, 2, ['string', 'uuid']);
      qb.andWhere('(d.created_at, d.id) < (:at::timestamptz, :id)', { at, id });
    }
    return toPage(await qb.getMany(), limit, (d) => [d.createdAt.toISOString(), d.id]);
  }

  /**
   * The deployment named `name` as it was at `at`: which version it served
   * then (the last `ready` or `version-replaced` event before `at`), also
   * when it has been deleted or its name reused since. NOT_FOUND if no
   * deployment of that name the caller may read existed then.
   */
  async asOf(
    caller: Caller,
    name: string,
    at: Date,
  ): Promise<{ deployment: DeploymentEntity; modelVersionId: string | null; servingSince: Date | null; changeRequestId: string | null }> {
    if (Number.isNaN(at.getTime())) throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, 'asOf must be a valid date-time.');
    const candidates = await this.db
      .getRepository(DeploymentEntity)
      .createQueryBuilder('d')
      .where('d.name = :name AND d.created_at <= :at AND (d.deleted_at IS NULL OR d.deleted_at > :at)', { name, at })
      .orderBy('d.created_at', 'DESC')
      .getMany();
    const deployment = candidates.find((d) => caller.ability.can('read', asSubject('Deployment', { ...d })));
    if (!deployment) throw new DeploymentError(DeploymentErrorCode.DEPLOYMENT_NOT_FOUND, `No deployment "${name}" visible to you existed at ${at.toISOString()}.`);
    const event = await this.db
      .getRepository(DeploymentEventEntity)
      .createQueryBuilder('e')
      .where(`e.deployment_id = :id AND e.at <= :at AND e.kind IN ('ready', 'version-replaced')`, { id: deployment.id, at })
      .orderBy('e.at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .getOne();
    return { deployment, modelVersionId: event?.toVersionId ?? null, servingSince: event?.at ?? null, changeRequestId: event?.changeRequestId ?? null };
  }

  /**
   * The change that put `modelVersionId` into service on the deployment at or before `at`
   * (the last `ready` or `version-replaced` event), for tracing a prediction to its approval.
   */
  async servingEvent(deploymentId: string, modelVersionId: string, at: Date): Promise<DeploymentEventEntity | null> {
    return this.db
      .getRepository(DeploymentEventEntity)
      .createQueryBuilder('e')
      .where(`e.deployment_id = :deploymentId AND e.to_version_id = :modelVersionId AND e.at <= :at AND e.kind IN ('ready', 'version-replaced')`, { deploymentId, modelVersionId, at })
      .orderBy('e.at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .getOne();
  }

  async events(caller: Caller, deploymentId: string): Promise<DeploymentEventEntity[]> {
    const deployment = await this.get(caller, deploymentId);
    return this.db.getRepository(DeploymentEventEntity).find({ where: { deploymentId: deployment.id }, order: { at: 'ASC', id: 'ASC' } });
  }

  // ---- create ---------------------------------------------------------------

  /**
   * Creates a deployment and, unless `wait` is false, returns once it is READY
   * or FAILED. A FAILED deployment is returned, not thrown: it exists and says why.
   * A production deployment an approval policy covers (`deployment.create`) is
   * stored AWAITING_APPROVAL, unloaded, with its change request: see `createOrRequest`.
   */
  async create(caller: Caller, input: CreateDeploymentInput, wait = true): Promise<DeploymentEntity> {
    return (await this.createOrRequest(caller, input, wait)).deployment;
  }

  /** `create`, with the change request when the creation waits for approval. */
  async createOrRequest(caller: Caller, input: CreateDeploymentInput, wait = true): Promise<DeploymentChange> {
    if (!isUuid(input.projectId)) throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, `"${input.projectId}" is not a project id (a UUID).`);
    const name = validateDeploymentName(input.name);
    const settings = validateSettings(input);
    const version = await this.registry.resolveVersion(caller, input.modelId, { version: input.version, alias: input.alias });
    // The deployment as it would be stored, so rules may test any attribute (e.g. production: false).
    assertCan(caller.ability, 'create', 'Deployment', {
      projectId: input.projectId,
      name,
      modelId: version.modelId,
      modelVersionId: version.id,
      sourceAlias: input.alias ?? null,
      state: 'PENDING',
      pluginName: input.plugin ?? null,
      runtimeConfig: settings.runtimeConfig,
      payloadLogging: settings.payloadLogging,
      production: input.production ?? false,
      revision: 1,
      maxBatchSize: settings.maxBatchSize,
      createdBy: caller.principal.userId,
    });
    if (version.projectId !== input.projectId) {
      throw new DeploymentError(
        DeploymentErrorCode.INVALID_ARGUMENT,
        'The model belongs to another project. Deploy it in its own project, or register it in this one.',
        { field: 'modelId' },
      );
    }
    const kind = input.kind ?? 'served';
    if (kind !== 'served' && kind !== 'external') throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, `kind must be served or external (got "${String(kind)}").`, { field: 'kind' });
    if (kind === 'served') {
      servingSignature(version.signature, `Version ${version.version}`);
      // Fail early when no plugin serves the format, before anything is stored.
      this.backend.choosePlugin(version.format, input.plugin ?? null);
    } else if (input.plugin) {
      throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, 'An external deployment runs on no plugin; leave plugin out.', { field: 'plugin' });
    }

    const production = input.production ?? false;
    const held = production && this.approvals ? (await this.approvals.requirementFor({ action: ApprovalAction.DEPLOYMENT_CREATE, projectId: input.projectId, production })) !== null : false;
    let deployment: DeploymentEntity;
    try {
      deployment = await this.db.transaction(async (tx) => {
        const row = await tx.getRepository(DeploymentEntity).save({
          projectId: input.projectId,
          name,
          modelId: version.modelId,
          modelVersionId: version.id,
          sourceAlias: input.alias ?? null,
          state: held ? 'AWAITING_APPROVAL' : 'PENDING',
          failure: null,
          requestedPlugin: input.plugin ?? null,
          pluginName: null,
          modelKey: null,
          runtimeConfig: settings.runtimeConfig,
          payloadLogging: settings.payloadLogging,
          payloadSampleRate: settings.payloadSampleRate,
          maxBatchSize: settings.maxBatchSize,
          maxBatchDelayMs: settings.maxBatchDelayMs,
          production: input.production ?? false,
          kind,
          revision: 1,
          rolloutError: null,
          createdBy: caller.principal.userId,
          updatedAt: new Date(),
          readyAt: null,
          deletedAt: null,
        });
        await this.event(tx, row.id, 'created', caller.principal.userId, null, version.id, input.alias ? `from alias "${input.alias}"` : `version ${version.version}`);
        return row;
      });
    } catch (err) {
      if (uniqueViolation(err) === 'deployments_live_name_unique') {
        throw new DeploymentError(
          DeploymentErrorCode.DEPLOYMENT_NAME_TAKEN,
          `A deployment named "${name}" already exists (names are global because they are V2 model names). Pick another name, or replace that deployment's model version.`,
          { field: 'name' },
        );
      }
      throw err;
    }
    this.routes.set(await this.routeFor(deployment));
    if (held) return { deployment, changeRequest: await this.requestCreation(caller, deployment, version.version) };
    const rollout = this.bringUp(deployment.id, caller.principal.userId);
    if (!wait) {
      rollout.catch((err: unknown) => this.logger.error({ err, deployment: name }, 'deployment rollout failed unexpectedly'));
      return { deployment, changeRequest: null };
    }
    await rollout;
    return { deployment: await this.reload(deployment.id), changeRequest: null };
  }

  /** The change request for a deployment stored AWAITING_APPROVAL; if it cannot be made, the deployment goes. */
  private async requestCreation(caller: Caller, deployment: DeploymentEntity, version: number): Promise<ChangeRequestEntity> {
    try {
      const gate = await this.approvals!.gate(caller, {
        action: ApprovalAction.DEPLOYMENT_CREATE,
        projectId: deployment.projectId,
        production: true,
        targetType: 'Deployment',
        targetId: deployment.id,
        payload: { deploymentId: deployment.id },
        precondition: { deploymentRevision: deployment.revision },
        summary: `Create production deployment "${deployment.name}" serving version ${version}.`,
      });
      if (!gate.required) throw new Error('the approval policy covering this creation was removed meanwhile; create the deployment again');
      await this.db.transaction((tx) => this.event(tx, deployment.id, 'awaiting-approval', caller.principal.userId, null, deployment.modelVersionId, `change request ${gate.request.id}`, gate.request.id));
      return gate.request;
    } catch (err) {
      await this.closeUnapproved(deployment.id, `the change request could not be made: ${reasonOf(err)}`);
      throw err;
    }
  }

  /** A deployment that waited for approval in vain is deleted (its name is free again), with the reason in its timeline. */
  private async closeUnapproved(deploymentId: string, reason: string, changeRequestId: string | null = null): Promise<void> {
    const closed = await this.db.transaction(async (tx) => {
      const result = await tx
        .getRepository(DeploymentEntity)
        .createQueryBuilder()
        .update()
        .set({ deletedAt: new Date(), updatedAt: new Date() })
        .where(`id = :id AND state = 'AWAITING_APPROVAL' AND deleted_at IS NULL`, { id: deploymentId })
        .execute();
      if (!result.affected) return false;
      await this.event(tx, deploymentId, 'not-approved', null, null, null, reason, changeRequestId);
      return true;
    });
    if (closed) this.routes.delete((await this.reload(deploymentId)).name);
  }

  /** Loads a deployment's current version and routes traffic to it (first start, or after a server restart). */
  private async bringUp(deploymentId: string, actorId: string | null, changeRequestId: string | null = null): Promise<void> {
    if (this.rollouts.has(deploymentId)) return;
    this.rollouts.add(deploymentId);
    try {
      let deployment = await this.reload(deploymentId);
      await this.setState(deployment, 'LOADING', null);
      deployment = await this.reload(deploymentId);
      try {
        const placed = await this.place(deployment, deployment.modelVersionId);
        // After a restart the version is the one an earlier change put into service: keep naming its approval.
        const approvedBy = changeRequestId ?? (await this.servingEvent(deploymentId, deployment.modelVersionId, new Date()))?.changeRequestId ?? null;
        await this.db.transaction(async (tx) => {
          await tx.getRepository(DeploymentEntity).update(
            { id: deploymentId },
            { state: 'READY', failure: null, pluginName: placed.pluginName, modelKey: placed.modelKey, readyAt: new Date(), updatedAt: new Date() },
          );
          await this.event(tx, deploymentId, 'ready', actorId, null, deployment.modelVersionId, `on plugin ${placed.pluginName}`, approvedBy);
        });
        this.routes.set(await this.routeFor(await this.reload(deploymentId), placed));
        this.logger.info({ deployment: deployment.name, plugin: placed.pluginName, key: placed.modelKey }, 'deployment ready');
        // Canaries, shadows and the standby come back too (after a restart the plugins started empty); the route is
        // rebuilt either way, so one that failed to load now is no longer routed.
        if ((await this.loadMembers(deploymentId)).tried > 0) this.routes.set(await this.routeFor(await this.reload(deploymentId), placed));
      } catch (err) {
        const reason = reasonOf(err);
        await this.db.transaction(async (tx) => {
          await tx.getRepository(DeploymentEntity).update({ id: deploymentId }, { state: 'FAILED', failure: reason, updatedAt: new Date() });
          await this.event(tx, deploymentId, 'failed', actorId, null, deployment.modelVersionId, reason);
        });
        this.routes.set(await this.routeFor(await this.reload(deploymentId)));
        this.logger.warn({ deployment: deployment.name, reason }, 'deployment failed');
      }
    } finally {
      this.rollouts.delete(deploymentId);
    }
  }

  /**
   * Loads every canary, shadow and standby of a deployment (or only those that FAILED); one that fails is FAILED
   * with the reason (and not routed). Says how many it tried and how many loaded.
   */
  private async loadMembers(deploymentId: string, which: 'all' | 'failed' = 'all'): Promise<{ tried: number; loaded: number }> {
    const deployment = await this.reload(deploymentId);
    const members = await this.db.getRepository(DeploymentVersionEntity).findBy(which === 'all' ? { deploymentId } : { deploymentId, state: 'FAILED' });
    let loaded = 0;
    for (const m of members) {
      try {
        const placed = await this.place(deployment, m.modelVersionId);
        await this.db.getRepository(DeploymentVersionEntity).update(
          { deploymentId, modelVersionId: m.modelVersionId },
          { state: 'READY', failure: null, pluginName: placed.pluginName, modelKey: placed.modelKey },
        );
        loaded++;
      } catch (err) {
        await this.db.getRepository(DeploymentVersionEntity).update({ deploymentId, modelVersionId: m.modelVersionId }, { state: 'FAILED', failure: reasonOf(err) });
        this.logger.warn({ deployment: deployment.name, version: m.modelVersionId, role: m.role, reason: reasonOf(err) }, 'could not load a canary, shadow or standby version');
      }
    }
    return { tried: members.length, loaded };
  }

  /** Loads one version of a deployment on a plugin and waits until the plugin has it. */
  /** @internal (TrafficService) `keySuffix` tells apart a second load of the same version (a replay). */
  async place(deployment: DeploymentEntity, versionId: string, keySuffix = ''): Promise<{ pluginName: string; pluginId: string; pluginVersion: string; modelKey: string }> {
    const version = await this.registry.versionById(versionId);
    if (deployment.kind === 'external') {
      // Served elsewhere: nothing to load; the key still names the version, so the timeline reads the same.
      return { pluginName: EXTERNAL_PLUGIN, pluginId: EXTERNAL_PLUGIN, pluginVersion: '', modelKey: `${deployment.name}/v${version.version}/external` };
    }
    const signature = servingSignature(version.signature, `Version ${version.version}`);
    const plugin = this.backend.choosePlugin(version.format, deployment.requestedPlugin);
    const modelKey = `${deployment.name}/v${version.version}/${deployment.id.slice(0, 8)}${keySuffix}`;
    const uri = await this.store.readUrl(version.artifactKey, this.options.artifactUrlTtlSeconds);
    await this.backend.loadModel(plugin.name, {
      model_key: modelKey,
      artifact: { uri, sha256: version.artifactSha256, size_bytes: version.artifactSize, format: version.format },
      signature: { inputs: signature.inputs.map((t) => ({ ...t, shape: [...t.shape] })), outputs: signature.outputs.map((t) => ({ ...t, shape: [...t.shape] })) },
      config: deployment.runtimeConfig,
    });
    return { pluginName: plugin.name, pluginId: plugin.id, pluginVersion: plugin.version, modelKey };
  }

  // ---- replace --------------------------------------------------------------

  /**
   * Serves another version of the deployment's model with zero failed
   * requests: the new version is loaded beside the old, the route switches in
   * one write, the old drains and is unloaded. If the new version fails to
   * load, the old keeps serving and the error says why.
   */
  async replaceModelVersion(caller: Caller, input: ReplaceModelVersionInput, options: { approved?: boolean; changeRequestId?: string } = {}): Promise<DeploymentChange> {
    const deployment = await this.get(caller, input.deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    if (deployment.state === 'AWAITING_APPROVAL') {
      throw new DeploymentError(
        DeploymentErrorCode.DEPLOYMENT_NOT_READY,
        `Deployment "${deployment.name}" waits for the approval of its creation; its version can change once it is approved (or cancel the change request and create it again).`,
      );
    }
    const version = await this.registry.resolveVersion(caller, deployment.modelId, { version: input.version, alias: input.alias });
    if (deployment.kind !== 'external') servingSignature(version.signature, `Version ${version.version}`);
    if (version.id === deployment.modelVersionId && deployment.state === 'READY') return { deployment, changeRequest: null };
    const member = await this.db.getRepository(DeploymentVersionEntity).findOneBy({ deploymentId: deployment.id, modelVersionId: version.id });
    if (member) {
      throw new DeploymentError(
        DeploymentErrorCode.INVALID_ARGUMENT,
        member.role === 'standby'
          ? `Version ${version.version} is the previous champion, still loaded as the standby; roll back instead (rollbackDeployment), which switches without loading anything.`
          : `Version ${version.version} is already the deployment's ${member.role}; promote it instead (promoteDeploymentVersion), which keeps the current champion loaded for a rollback.`,
        { field: 'version' },
      );
    }
    await this.assertMembersFollow(deployment, version);
    if (!options.approved && this.approvals) {
      const current = await this.registry.versionById(deployment.modelVersionId);
      const gate = await this.approvals.gate(caller, {
        action: ApprovalAction.DEPLOYMENT_REPLACE_VERSION,
        projectId: deployment.projectId,
        production: deployment.production,
        targetType: 'Deployment',
        targetId: deployment.id,
        payload: { deploymentId: deployment.id, version: version.version, alias: input.alias ?? null },
        precondition: { deploymentRevision: deployment.revision },
        summary: `Serve version ${version.version} on production deployment "${deployment.name}" (now version ${current.version}).`,
      });
      if (gate.required) return { deployment, changeRequest: gate.request };
    }
    return { deployment: await this.replaceApproved(caller, deployment, version, input, options.changeRequestId ?? null), changeRequest: null };
  }

  /**
   * Canaries and shadows take the champion's requests: each must still take them from the new champion. The
   * standby is left out (a rollback swaps the whole route back; it never serves beside the champion).
   */
  private async assertMembersFollow(deployment: DeploymentEntity, version: Awaited<ReturnType<RegistryService['versionById']>>): Promise<void> {
    if (deployment.kind === 'external') return;
    const members = await this.db.getRepository(DeploymentVersionEntity).find({ where: { deploymentId: deployment.id }, order: { addedAt: 'ASC' } });
    const following = members.filter((m) => m.role === 'canary' || m.role === 'shadow');
    if (following.length === 0) return;
    const champion = servingSignature(version.signature, `Version ${version.version}`);
    const refusals: string[] = [];
    const differences: { version: number; role: string; differences: string[] }[] = [];
    for (const member of following) {
      const other = await this.registry.versionById(member.modelVersionId);
      const found = signatureDifferences(champion, servingSignature(other.signature, `Version ${other.version}`));
      if (found.length) {
        refusals.push(`its ${member.role} version ${other.version} could not take version ${version.version}'s requests (${found.join('; ')})`);
        differences.push({ version: other.version, role: member.role, differences: found });
      }
    }
    if (refusals.length) {
      throw new DeploymentError(
        DeploymentErrorCode.SIGNATURE_INCOMPATIBLE,
        `Version ${version.version} cannot become the champion of deployment "${deployment.name}": ${refusals.join('; ')}. ` +
          `Take those versions out of the traffic policy first (setTrafficPolicy), or serve a version they can follow.`,
        { version: version.version, members: differences },
      );
    }
  }

  private async replaceApproved(
    caller: Caller,
    deployment: DeploymentEntity,
    version: Awaited<ReturnType<RegistryService['versionById']>>,
    input: ReplaceModelVersionInput,
    changeRequestId: string | null,
  ): Promise<DeploymentEntity> {
    if (deployment.state !== 'READY') {
      // Nothing is serving: bring the deployment up on the new version directly.
      await this.db.getRepository(DeploymentEntity).update({ id: deployment.id }, { modelVersionId: version.id, sourceAlias: input.alias ?? null, revision: deployment.revision + 1, updatedAt: new Date() });
      await this.bringUp(deployment.id, caller.principal.userId);
      return this.reload(deployment.id);
    }
    if (this.rollouts.has(deployment.id)) {
      throw new DeploymentError(DeploymentErrorCode.ROLLOUT_IN_PROGRESS, `Deployment "${deployment.name}" is already changing version. Wait for that to finish, then try again.`);
    }
    this.rollouts.add(deployment.id);
    try {
      let placed;
      try {
        placed = await this.place(deployment, version.id);
      } catch (err) {
        const reason = reasonOf(err);
        await this.db.transaction(async (tx) => {
          await tx.getRepository(DeploymentEntity).update({ id: deployment.id }, { rolloutError: reason, updatedAt: new Date() });
          await this.event(tx, deployment.id, 'replace-failed', caller.principal.userId, deployment.modelVersionId, version.id, reason);
        });
        throw new DeploymentError(
          DeploymentErrorCode.ROLLOUT_FAILED,
          `Version ${version.version} could not be loaded, so the deployment keeps serving its current version: ${reason}`,
          { deploymentId: deployment.id },
        );
      }
      const oldRoute = this.routes.get(deployment.name);
      await this.db.transaction(async (tx) => {
        await tx.getRepository(DeploymentEntity).update(
          { id: deployment.id },
          {
            modelVersionId: version.id,
            sourceAlias: input.alias ?? null,
            pluginName: placed.pluginName,
            modelKey: placed.modelKey,
            revision: deployment.revision + 1,
            rolloutError: null,
            updatedAt: new Date(),
          },
        );
        await this.event(
          tx,
          deployment.id,
          'version-replaced',
          caller.principal.userId,
          deployment.modelVersionId,
          version.id,
          `version ${version.version} on plugin ${placed.pluginName}`,
          changeRequestId,
        );
      });
      this.routes.set(await this.routeFor(await this.reload(deployment.id), placed));
      if (oldRoute?.pluginName && oldRoute.modelKey && oldRoute.modelKey !== placed.modelKey) await this.retire(oldRoute);
      return this.reload(deployment.id);
    } finally {
      this.rollouts.delete(deployment.id);
    }
  }

  /** Waits for requests still holding a replaced route, then unloads its model. */
  /** @internal */
  async retire(route: Pick<Route, 'name' | 'pluginName' | 'modelKey'>, drainOf: Route | null = route as Route): Promise<void> {
    if (route.pluginName === EXTERNAL_PLUGIN) return;
    const drained = drainOf ? await this.routes.drain(drainOf, this.options.drainTimeoutMs) : true;
    if (!drained) this.logger.warn({ deployment: route.name, key: route.modelKey }, 'requests still running after the drain timeout; unloading anyway');
    try {
      await this.backend.unloadModel(route.pluginName!, route.modelKey!);
    } catch (err) {
      this.logger.warn({ err, deployment: route.name, key: route.modelKey }, 'could not unload a replaced model version');
    }
  }

  // ---- delete ---------------------------------------------------------------

  async delete(caller: Caller, id: string, options: { approved?: boolean } = {}): Promise<DeploymentChange> {
    const deployment = await this.get(caller, id);
    assertCan(caller.ability, 'delete', 'Deployment', { ...deployment });
    if (!options.approved && this.approvals) {
      const gate = await this.approvals.gate(caller, {
        action: ApprovalAction.DEPLOYMENT_DELETE,
        projectId: deployment.projectId,
        production: deployment.production,
        targetType: 'Deployment',
        targetId: deployment.id,
        payload: { deploymentId: deployment.id },
        precondition: { deploymentRevision: deployment.revision },
        summary: `Delete production deployment "${deployment.name}".`,
      });
      if (gate.required) return { deployment, changeRequest: gate.request };
    }
    if (this.rollouts.has(deployment.id)) {
      throw new DeploymentError(DeploymentErrorCode.ROLLOUT_IN_PROGRESS, `Deployment "${deployment.name}" is changing version. Wait for that to finish, then delete it.`);
    }
    await this.db.transaction(async (tx) => {
      await tx.getRepository(DeploymentEntity).update({ id: deployment.id }, { deletedAt: new Date(), updatedAt: new Date() });
      await this.event(tx, deployment.id, 'deleted', caller.principal.userId, deployment.modelVersionId, null, '');
    });
    const route = this.routes.delete(deployment.name);
    if (route?.pluginName && route.modelKey) await this.retire(route);
    for (const m of await this.db.getRepository(DeploymentVersionEntity).findBy({ deploymentId: deployment.id })) {
      if (m.pluginName && m.modelKey) await this.retire({ name: deployment.name, pluginName: m.pluginName, modelKey: m.modelKey }, null);
    }
    return { deployment: { ...deployment, deletedAt: new Date() }, changeRequest: null };
  }

  // ---- start-up -------------------------------------------------------------

  /** Routes every live deployment and loads each on a plugin again (the plugins started empty). */
  async restoreAll(): Promise<void> {
    const live = await this.db.getRepository(DeploymentEntity).createQueryBuilder('d').where('d.deleted_at IS NULL').getMany();
    for (const deployment of live) this.routes.set(await this.routeFor(deployment));
    await Promise.all(live.filter((d) => d.state !== 'AWAITING_APPROVAL').map((d) => this.bringUp(d.id, null)));
    if (live.length > 0) this.logger.info({ deployments: live.length }, 'deployments restored');
  }

  /**
   * Tries FAILED deployments again, e.g. when a plugin came back or a new one
   * registered: a deployment that failed because no plugin was available then
   * comes up without anyone replacing its version.
   */
  async retryFailed(): Promise<void> {
    const failed = await this.db.getRepository(DeploymentEntity).createQueryBuilder('d').where(`d.deleted_at IS NULL AND d.state = 'FAILED'`).getMany();
    await Promise.all(failed.map((d) => this.bringUp(d.id, null)));
    // Canaries, shadows and standbys that failed to load beside a READY champion come back the same way.
    const members = await this.db.getRepository(DeploymentVersionEntity).findBy({ state: 'FAILED' });
    await Promise.all([...new Set(members.map((m) => m.deploymentId))].map((id) => this.retryFailedMembers(id)));
  }

  private async retryFailedMembers(deploymentId: string): Promise<void> {
    // Under the deployment's change lock: a traffic change, promotion or rollback meanwhile goes first.
    if (this.rollouts.has(deploymentId)) return;
    this.rollouts.add(deploymentId);
    try {
      const deployment = await this.reload(deploymentId);
      if (deployment.deletedAt !== null || deployment.state !== 'READY') return;
      if ((await this.loadMembers(deploymentId, 'failed')).loaded > 0) {
        this.routes.set(await this.routeFor(await this.reload(deploymentId)));
        this.logger.info({ deployment: deployment.name }, 'failed canary, shadow or standby versions loaded again');
      }
    } finally {
      this.rollouts.delete(deploymentId);
    }
  }

  // ---- helpers --------------------------------------------------------------

  /** @internal */
  async reload(id: string): Promise<DeploymentEntity> {
    return this.db.getRepository(DeploymentEntity).findOneByOrFail({ id });
  }

  private async setState(deployment: DeploymentEntity, state: DeploymentEntity['state'], failure: string | null): Promise<void> {
    await this.db.getRepository(DeploymentEntity).update({ id: deployment.id }, { state, failure, updatedAt: new Date() });
    this.routes.set(await this.routeFor({ ...deployment, state, failure }));
  }

  /** @internal */
  async event(
    tx: EntityManager,
    deploymentId: string,
    kind: string,
    actorId: string | null,
    fromVersionId: string | null,
    toVersionId: string | null,
    detail: string,
    changeRequestId: string | null = null,
    reason: string | null = null,
  ): Promise<void> {
    await tx.getRepository(DeploymentEventEntity).insert({ deploymentId, kind, actorId, fromVersionId, toVersionId, detail, changeRequestId, reason, at: new Date() });
  }

  /** @internal The route of a deployment as stored: its champion (as `placed` when just loaded) and its READY canaries and shadows. */
  async routeFor(deployment: DeploymentEntity, placed?: { pluginName: string; pluginId: string; pluginVersion: string; modelKey: string }): Promise<Route> {
    const version = await this.registry.versionById(deployment.modelVersionId);
    let signature;
    try {
      signature = servingSignature(version.signature, `Version ${version.version}`);
    } catch {
      signature = { inputs: [], outputs: [] };
    }
    // Every prediction names the plugin that ran it: when the champion was not just loaded, the one serving it now.
    let plugin: { id: string; version: string } | null = placed ? { id: placed.pluginId, version: placed.pluginVersion } : null;
    if (!plugin && deployment.state === 'READY' && deployment.pluginName && deployment.kind !== 'external') {
      try {
        plugin = this.backend.choosePlugin(version.format, deployment.pluginName);
      } catch {
        plugin = null;
      }
    }
    return {
      deploymentId: deployment.id,
      projectId: deployment.projectId,
      name: deployment.name,
      state: deployment.state,
      failure: deployment.failure,
      modelId: deployment.modelId,
      modelVersionId: version.id,
      modelVersion: version.version,
      artifactSha256: version.artifactSha256,
      format: version.format,
      pluginName: placed?.pluginName ?? (deployment.state === 'READY' ? deployment.pluginName : null),
      pluginId: plugin?.id ?? null,
      pluginVersion: plugin?.version ?? null,
      modelKey: placed?.modelKey ?? (deployment.state === 'READY' ? deployment.modelKey : null),
      signature,
      payloadLogging: deployment.payloadLogging,
      payloadSampleRate: deployment.payloadSampleRate,
      subject: asSubject('Deployment', { ...deployment }),
      external: deployment.kind === 'external',
      maxBatchSize: deployment.maxBatchSize,
      maxBatchDelayMs: deployment.maxBatchDelayMs,
      ...(await this.variantsOf(deployment)),
      stickyBy: deployment.stickyBy ?? 'none',
      stickyParameter: deployment.stickyParameter ?? null,
    };
  }

  /** The READY canaries and shadows of a deployment, as the gateway routes them. */
  private async variantsOf(deployment: DeploymentEntity): Promise<{ canaries: RouteVariant[]; shadows: RouteVariant[] }> {
    if (deployment.kind === 'external' || deployment.state !== 'READY') return { canaries: [], shadows: [] };
    const members = await this.db.getRepository(DeploymentVersionEntity).find({ where: { deploymentId: deployment.id, state: 'READY' }, order: { addedAt: 'ASC' } });
    const canaries: RouteVariant[] = [];
    const shadows: RouteVariant[] = [];
    for (const m of members) {
      if (m.role === 'standby' || !m.pluginName || !m.modelKey) continue;
      const version = await this.registry.versionById(m.modelVersionId);
      let plugin: { id: string; version: string } | null = null;
      try {
        plugin = this.backend.choosePlugin(version.format, m.pluginName);
      } catch {
        plugin = null;
      }
      const variant: RouteVariant = {
        role: m.role,
        modelVersionId: version.id,
        modelVersion: version.version,
        artifactSha256: version.artifactSha256,
        pluginName: m.pluginName,
        pluginId: plugin?.id ?? null,
        pluginVersion: plugin?.version ?? null,
        modelKey: m.modelKey,
        signature: servingSignature(version.signature, `Version ${version.version}`),
        weight: m.weight,
      };
      (m.role === 'canary' ? canaries : shadows).push(variant);
    }
    return { canaries, shadows };
  }
}

function notFound(id: string): DeploymentError {
  return new DeploymentError(DeploymentErrorCode.DEPLOYMENT_NOT_FOUND, `No deployment "${id}" is visible to you.`);
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function validateSettings(input: CreateDeploymentInput) {
  const runtimeConfig: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.runtimeConfig ?? {})) {
    if (!CONFIG_KEY.test(key) || typeof value !== 'string' || value.length > 256) {
      throw new DeploymentError(
        DeploymentErrorCode.INVALID_ARGUMENT,
        `Runtime setting "${key.slice(0, 64)}" is not valid: keys are lower-case identifiers (letters, digits, _ . -) and values strings of at most 256 characters.`,
        { field: 'runtimeConfig' },
      );
    }
    runtimeConfig[key] = value;
  }
  if (Object.keys(runtimeConfig).length > 32) throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, 'At most 32 runtime settings are allowed.', { field: 'runtimeConfig' });
  const payloadLogging = input.payloadLogging ?? 'full';
  if (!PAYLOAD_LOGGING.includes(payloadLogging)) {
    throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, `payloadLogging must be one of ${PAYLOAD_LOGGING.join(', ')}.`, { field: 'payloadLogging' });
  }
  const payloadSampleRate = input.payloadSampleRate ?? (payloadLogging === 'sampled' ? 0.1 : 1);
  if (!(payloadSampleRate >= 0 && payloadSampleRate <= 1)) {
    throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, `payloadSampleRate must be between 0 and 1, got ${payloadSampleRate}.`, { field: 'payloadSampleRate' });
  }
  const maxBatchSize = input.maxBatchSize ?? null;
  if (maxBatchSize !== null && !(Number.isInteger(maxBatchSize) && maxBatchSize >= 2 && maxBatchSize <= 1024)) {
    throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, `maxBatchSize must be an integer from 2 to 1024 (or unset to turn batching off), got ${maxBatchSize}.`, { field: 'maxBatchSize' });
  }
  const maxBatchDelayMs = input.maxBatchDelayMs ?? (maxBatchSize !== null ? 2 : null);
  if (maxBatchDelayMs !== null && !(Number.isInteger(maxBatchDelayMs) && maxBatchDelayMs >= 0 && maxBatchDelayMs <= 1000)) {
    throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, `maxBatchDelayMs must be an integer from 0 to 1000, got ${maxBatchDelayMs}.`, { field: 'maxBatchDelayMs' });
  }
  if (maxBatchDelayMs !== null && maxBatchSize === null) {
    throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, 'maxBatchDelayMs needs maxBatchSize: set both to turn dynamic batching on.', { field: 'maxBatchDelayMs' });
  }
  return { runtimeConfig, payloadLogging, payloadSampleRate, maxBatchSize, maxBatchDelayMs };
}
