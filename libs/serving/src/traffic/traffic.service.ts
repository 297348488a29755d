import { ApprovalAction, assertCan, type ApprovalService, type Caller } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import type { RegistryService } from '@modelport/registry';
import type { DataSource, EntityManager } from 'typeorm';
import { DeploymentError, DeploymentErrorCode } from '../deployments/domain/deployment.errors';
import type { DeploymentChange, DeploymentService } from '../deployments/domain/deployment.service';
import { servingSignature } from '../deployments/domain/deployment.types';
import type { Route, RouteTable } from '../deployments/domain/route-table';
import { DeploymentEntity, DeploymentVersionEntity, type BakeSettings } from '../deployments/persistence/deployment.entity';
import { MAX_SHADOWS, signatureDifferences, validateTrafficPolicy } from './traffic-policy';

/** A traffic policy as a client sends it: versions by number, the champion being the deployment's current one. */
export interface TrafficPolicyChange {
  readonly deploymentId: string;
  readonly championWeight: number;
  readonly canaries?: readonly { readonly version: number; readonly weight: number }[] | null;
  readonly shadows?: readonly number[] | null;
  readonly stickyBy?: 'none' | 'consumer' | 'request-parameter' | null;
  readonly stickyParameter?: string | null;
  readonly reason: string;
}

export interface BakeInput {
  readonly minutes: number;
  readonly maxErrorRate?: number | null;
  readonly maxP99LatencyMs?: number | null;
  readonly rollbackOnDrift?: 'amber' | 'red' | null;
  readonly accuracyMetric?: string | null;
  readonly accuracyThreshold?: number | null;
  readonly minRequests?: number | null;
}

export interface PromoteInput {
  readonly deploymentId: string;
  readonly version: number;
  readonly reason: string;
  /** Watch the new champion for this long and roll back automatically if it crosses a threshold. */
  readonly bake?: BakeInput | null;
}

/** One version of a deployment's traffic policy, as the API shows it. */
export interface TrafficMember {
  readonly modelVersionId: string;
  readonly version: number;
  readonly role: 'champion' | 'canary' | 'shadow' | 'standby';
  readonly weight: number;
  readonly state: 'LOADING' | 'READY' | 'FAILED';
  readonly failure: string | null;
  readonly reason: string;
  readonly addedAt: Date | null;
}

export interface TrafficPolicyView {
  readonly deploymentId: string;
  readonly members: readonly TrafficMember[];
  readonly stickyBy: 'none' | 'consumer' | 'request-parameter';
  readonly stickyParameter: string | null;
  readonly previousVersionId: string | null;
  readonly bakeUntil: Date | null;
  readonly bakeSettings: BakeSettings | null;
}

/** Who made a change: a caller, or the platform itself (a bake watcher's rollback, a refresh attaching a shadow). */
interface Actor {
  readonly userId: string | null;
}

const MAX_REASON = 2000;

function invalid(field: string, message: string): DeploymentError {
  return new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, message, { field });
}

function validReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON) {
    throw invalid('reason', `Say why (reason: 1 to ${MAX_REASON} characters); it goes into the deployment's timeline and the audit trail.`);
  }
  return reason.trim();
}

const DRIFT_LEVELS = ['amber', 'red'] as const;

/** Checks bake settings; minutes 0 means no bake (the previous champion is unloaded at once). */
export function validateBake(input: BakeInput | null | undefined, promotedAt: Date, changeRequestId: string | null): BakeSettings | null {
  if (!input) return null;
  const { minutes } = input;
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 7 * 24 * 60) throw invalid('bake.minutes', `bake.minutes must be a whole number from 0 to ${7 * 24 * 60} (a week), got ${minutes}.`);
  const maxErrorRate = input.maxErrorRate ?? null;
  if (maxErrorRate !== null && !(maxErrorRate >= 0 && maxErrorRate <= 1)) throw invalid('bake.maxErrorRate', `bake.maxErrorRate is a share of requests from 0 to 1, got ${maxErrorRate}.`);
  const maxP99LatencyMs = input.maxP99LatencyMs ?? null;
  if (maxP99LatencyMs !== null && !(maxP99LatencyMs > 0 && Number.isFinite(maxP99LatencyMs))) throw invalid('bake.maxP99LatencyMs', `bake.maxP99LatencyMs must be a positive number of milliseconds, got ${maxP99LatencyMs}.`);
  const rollbackOnDrift = input.rollbackOnDrift ?? null;
  if (rollbackOnDrift !== null && !DRIFT_LEVELS.includes(rollbackOnDrift)) throw invalid('bake.rollbackOnDrift', `bake.rollbackOnDrift must be amber or red, got "${String(rollbackOnDrift)}".`);
  const accuracyMetric = input.accuracyMetric ?? null;
  const accuracyThreshold = input.accuracyThreshold ?? null;
  if ((accuracyMetric === null) !== (accuracyThreshold === null)) throw invalid('bake.accuracyMetric', 'Give bake.accuracyMetric and bake.accuracyThreshold together (e.g. accuracy and 0.9).');
  if (accuracyMetric !== null && !/^[a-z][a-z0-9_]{0,31}$/.test(accuracyMetric)) throw invalid('bake.accuracyMetric', `bake.accuracyMetric "${accuracyMetric.slice(0, 40)}" is not a metric name (e.g. accuracy, f1, rmse).`);
  if (accuracyThreshold !== null && !Number.isFinite(accuracyThreshold)) throw invalid('bake.accuracyThreshold', 'bake.accuracyThreshold must be a finite number.');
  const minRequests = input.minRequests ?? 20;
  if (!Number.isInteger(minRequests) || minRequests < 1 || minRequests > 1_000_000) throw invalid('bake.minRequests', `bake.minRequests must be a whole number from 1 to 1000000, got ${minRequests}.`);
  if (minutes > 0 && maxErrorRate === null && maxP99LatencyMs === null && rollbackOnDrift === null && accuracyMetric === null) {
    throw invalid('bake', 'A bake period needs at least one threshold to watch (maxErrorRate, maxP99LatencyMs, rollbackOnDrift or accuracyMetric); or set minutes to 0.');
  }
  return { minutes, maxErrorRate, maxP99LatencyMs, rollbackOnDrift, accuracyMetric, accuracyThreshold, minRequests, promotedAt: promotedAt.toISOString(), changeRequestId };
}

/**
 * Traffic policies and champion changes of served deployments: canaries by weight, shadow challengers,
 * sticky routing, promotion of a loaded challenger with the old champion kept loaded as the standby through a
 * bake period, and rollback to it. Every change is one conditional write on the deployment's revision (two
 * racing changes: one wins, the other is refused whole), then one route swap; versions leave the plugins only
 * after the requests holding the old route have drained, so no request fails.
 */
export class TrafficService {
  /** Runs a request on a model before it takes live traffic (the gateway's `warm`); set by the serving runtime. */
  warmUp: ((deploymentId: string, target: { pluginName: string; modelKey: string }) => Promise<void>) | null = null;

  constructor(
    private readonly db: DataSource,
    private readonly registry: RegistryService,
    private readonly deployments: DeploymentService,
    private readonly routes: RouteTable,
    private readonly logger: Logger,
    private readonly approvals: ApprovalService | null = null,
  ) {
    this.approvals?.registerApplier(ApprovalAction.DEPLOYMENT_TRAFFIC, {
      checkPrecondition: (request) => this.deployments.stillAt(request.targetId, request.precondition),
      apply: async (request, actingAs) => {
        const { deployment } = await this.setPolicy(actingAs.author, request.payload as unknown as TrafficPolicyChange, { approved: true, changeRequestId: request.id });
        return { deploymentId: deployment.id, revision: deployment.revision };
      },
    });
    this.deployments.promotionApplier = async (request, actingAs) => {
      const { deployment } = await this.promote(actingAs.author, request.payload as unknown as PromoteInput, { approved: true, changeRequestId: request.id });
      return { deploymentId: deployment.id, revision: deployment.revision, modelVersionId: deployment.modelVersionId };
    };
  }

  // ---- reads ----------------------------------------------------------------

  async policy(caller: Caller, deploymentId: string): Promise<TrafficPolicyView> {
    const deployment = await this.deployments.get(caller, deploymentId);
    return this.view(deployment);
  }

  private async view(deployment: DeploymentEntity): Promise<TrafficPolicyView> {
    const members = await this.db.getRepository(DeploymentVersionEntity).find({ where: { deploymentId: deployment.id }, order: { addedAt: 'ASC' } });
    const champion = await this.registry.versionById(deployment.modelVersionId);
    const canaryWeight = members.filter((m) => m.role === 'canary').reduce((sum, m) => sum + m.weight, 0);
    const rows: TrafficMember[] = [
      {
        modelVersionId: champion.id,
        version: champion.version,
        role: 'champion',
        weight: 100 - canaryWeight,
        state: deployment.state === 'READY' ? 'READY' : deployment.state === 'FAILED' ? 'FAILED' : 'LOADING',
        failure: deployment.failure,
        reason: '',
        addedAt: deployment.readyAt,
      },
    ];
    for (const m of members) {
      const version = await this.registry.versionById(m.modelVersionId);
      rows.push({ modelVersionId: m.modelVersionId, version: version.version, role: m.role, weight: m.weight, state: m.state, failure: m.failure, reason: m.reason, addedAt: m.addedAt });
    }
    return {
      deploymentId: deployment.id,
      members: rows,
      stickyBy: deployment.stickyBy,
      stickyParameter: deployment.stickyParameter,
      previousVersionId: deployment.previousVersionId,
      bakeUntil: deployment.bakeUntil,
      bakeSettings: deployment.bakeSettings,
    };
  }

  // ---- traffic policy -------------------------------------------------------

  /**
   * Sets a served deployment's canaries, shadows and sticky routing (the champion stays; changing it is a
   * promotion). Versions new to the policy are loaded first; if one fails to load, nothing changes. Production
   * deployments covered by an approval policy (deployment.traffic) get a change request instead.
   */
  async setPolicy(caller: Caller, input: TrafficPolicyChange, options: { approved?: boolean; changeRequestId?: string } = {}): Promise<DeploymentChange> {
    const deployment = await this.deployments.get(caller, input.deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    const reason = validReason(input.reason);
    this.assertServing(deployment);
    const canaries = await Promise.all(
      (input.canaries ?? []).map(async (c, i) => ({ versionId: (await this.versionOf(caller, deployment, c.version, `canaries[${i}].version`)).id, weight: c.weight })),
    );
    const shadows = await Promise.all((input.shadows ?? []).map(async (v, i) => (await this.versionOf(caller, deployment, v, `shadows[${i}]`)).id));
    const policy = validateTrafficPolicy({
      champion: { versionId: deployment.modelVersionId, weight: input.championWeight },
      canaries,
      shadows,
      stickyBy: input.stickyBy,
      stickyParameter: input.stickyParameter,
    });
    for (const id of [...canaries.map((c) => c.versionId), ...shadows]) await this.assertCompatible(deployment, id);

    if (!options.approved && this.approvals) {
      const gate = await this.approvals.gate(caller, {
        action: ApprovalAction.DEPLOYMENT_TRAFFIC,
        projectId: deployment.projectId,
        production: deployment.production,
        targetType: 'Deployment',
        targetId: deployment.id,
        payload: { ...input, reason } as unknown as Record<string, unknown>,
        precondition: { deploymentRevision: deployment.revision },
        summary: `Set the traffic of production deployment "${deployment.name}": champion ${input.championWeight}%, ${canaries.length} canar${canaries.length === 1 ? 'y' : 'ies'}, ${shadows.length} shadow(s). Reason: ${reason}`,
      });
      if (gate.required) return { deployment, changeRequest: gate.request };
    }

    const wanted = new Map<string, { role: 'canary' | 'shadow'; weight: number }>();
    for (const l of policy.live.slice(1)) wanted.set(l.versionId, { role: 'canary', weight: l.weight });
    for (const id of policy.shadows) wanted.set(id, { role: 'shadow', weight: 0 });
    return this.exclusive(deployment, async () => {
      const existing = await this.db.getRepository(DeploymentVersionEntity).findBy({ deploymentId: deployment.id });
      const loaded = await this.loadAll(deployment, [...wanted.keys()].filter((id) => !existing.some((m) => m.modelVersionId === id && m.state === 'READY')));
      const removed = existing.filter((m) => !wanted.has(m.modelVersionId) && m.role !== 'standby');
      const oldRoute = this.routes.get(deployment.name) ?? null;
      try {
        await this.db.transaction(async (tx) => {
          await this.bump(tx, deployment, { stickyBy: policy.stickyBy, stickyParameter: policy.stickyParameter });
          if (removed.length) {
            await tx.getRepository(DeploymentVersionEntity).delete(removed.map((m) => ({ deploymentId: deployment.id, modelVersionId: m.modelVersionId })));
          }
          for (const [versionId, w] of wanted) {
            const placed = loaded.get(versionId);
            const before = existing.find((m) => m.modelVersionId === versionId);
            await tx.getRepository(DeploymentVersionEntity).save({
              deploymentId: deployment.id,
              modelVersionId: versionId,
              role: w.role,
              weight: w.weight,
              state: 'READY',
              failure: null,
              pluginName: placed?.pluginName ?? before!.pluginName,
              modelKey: placed?.modelKey ?? before!.modelKey,
              addedBy: before?.addedBy ?? caller.principal.userId,
              reason: before && before.role === w.role ? before.reason : reason,
              addedAt: before && before.role === w.role ? before.addedAt : new Date(),
            });
          }
          const summary = `champion ${policy.live[0]!.weight}%` + (await this.describe(policy.live.slice(1), policy.shadows)) + (policy.stickyBy === 'none' ? '' : `, sticky by ${policy.stickyBy}`);
          await this.deployments.event(tx, deployment.id, 'traffic-changed', caller.principal.userId, null, null, summary, options.changeRequestId ?? null, reason);
        });
      } catch (err) {
        await this.unloadAll(deployment, [...loaded.values()]);
        throw err;
      }
      const fresh = await this.deployments.reload(deployment.id);
      this.routes.set(await this.deployments.routeFor(fresh));
      await this.retireMembers(deployment, removed, oldRoute);
      return { deployment: fresh, changeRequest: null };
    });
  }

  /**
   * Attaches a version as a shadow challenger (a refresh's answer, or an operator's): loaded, then copied
   * live traffic. Shadows never change an answer, so this needs no approval; it is in the timeline with its reason.
   */
  async attachShadow(input: { deploymentId: string; versionId: string; reason: string; actorId: string | null }): Promise<void> {
    const deployment = await this.deployments.reload(input.deploymentId);
    if (deployment.deletedAt) throw new DeploymentError(DeploymentErrorCode.DEPLOYMENT_NOT_FOUND, `Deployment ${input.deploymentId} was deleted.`);
    this.assertServing(deployment);
    const version = await this.registry.versionById(input.versionId);
    if (version.modelId !== deployment.modelId) throw invalid('versionId', `Version ${input.versionId} is of another model than deployment "${deployment.name}".`);
    if (version.id === deployment.modelVersionId) return;
    const members = await this.db.getRepository(DeploymentVersionEntity).findBy({ deploymentId: deployment.id });
    if (members.some((m) => m.modelVersionId === version.id && m.role !== 'standby')) return;
    if (members.filter((m) => m.role === 'shadow').length >= MAX_SHADOWS) {
      throw invalid('shadows', `Deployment "${deployment.name}" has ${MAX_SHADOWS} shadows already (the most); remove one from its traffic policy first.`);
    }
    await this.assertCompatible(deployment, version.id);
    const reason = validReason(input.reason);
    await this.exclusive(deployment, async () => {
      const loaded = await this.loadAll(deployment, [version.id]);
      const placed = loaded.get(version.id)!;
      try {
        await this.db.transaction(async (tx) => {
          await this.bump(tx, deployment, {});
          await tx.getRepository(DeploymentVersionEntity).save({
            deploymentId: deployment.id,
            modelVersionId: version.id,
            role: 'shadow',
            weight: 0,
            state: 'READY',
            failure: null,
            pluginName: placed.pluginName,
            modelKey: placed.modelKey,
            addedBy: input.actorId,
            reason,
            addedAt: new Date(),
          });
          await this.deployments.event(tx, deployment.id, 'shadow-attached', input.actorId, null, version.id, `version ${version.version} as a shadow challenger`, null, reason);
        });
      } catch (err) {
        await this.unloadAll(deployment, [placed]);
        throw err;
      }
      this.routes.set(await this.deployments.routeFor(await this.deployments.reload(deployment.id)));
      return { deployment, changeRequest: null };
    });
  }

  // ---- promotion and rollback ------------------------------------------------

  /**
   * Makes a loaded, READY canary or shadow the champion in one route swap (no request fails): the old
   * champion stays loaded as the standby, so a rollback needs no load; with a bake period the new champion is
   * watched (see the lifecycle's bake watcher) and rolled back automatically if it crosses a threshold.
   */
  async promote(caller: Caller, input: PromoteInput, options: { approved?: boolean; changeRequestId?: string } = {}): Promise<DeploymentChange> {
    const deployment = await this.deployments.get(caller, input.deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    const reason = validReason(input.reason);
    this.assertServing(deployment);
    const version = await this.versionOf(caller, deployment, input.version, 'version');
    if (version.id === deployment.modelVersionId) throw invalid('version', `Version ${version.version} is already the champion of "${deployment.name}".`);
    const member = await this.db.getRepository(DeploymentVersionEntity).findOneBy({ deploymentId: deployment.id, modelVersionId: version.id });
    this.assertPromotable(deployment, version.version, member);
    validateBake(input.bake, new Date(), null);
    if (!options.approved && this.approvals) {
      const current = await this.registry.versionById(deployment.modelVersionId);
      const gate = await this.approvals.gate(caller, {
        action: ApprovalAction.DEPLOYMENT_REPLACE_VERSION,
        projectId: deployment.projectId,
        production: deployment.production,
        targetType: 'Deployment',
        targetId: deployment.id,
        payload: { kind: 'promote', deploymentId: deployment.id, version: version.version, reason, bake: input.bake ?? null },
        precondition: { deploymentRevision: deployment.revision },
        summary: `Promote version ${version.version} (now ${member!.role}) to champion of production deployment "${deployment.name}" (now version ${current.version}). Reason: ${reason}`,
      });
      if (gate.required) return { deployment, changeRequest: gate.request };
    }
    return this.exclusive(deployment, async () => {
      // Read again under the lock: the challenger may have changed while the caller (or the reviewers) looked.
      const now = await this.db.getRepository(DeploymentVersionEntity).findOneBy({ deploymentId: deployment.id, modelVersionId: version.id });
      this.assertPromotable(deployment, version.version, now);
      const promotedAt = new Date();
      const bake = validateBake(input.bake, promotedAt, options.changeRequestId ?? null);
      const oldStandby = await this.db.getRepository(DeploymentVersionEntity).findOneBy({ deploymentId: deployment.id, role: 'standby' });
      if (now!.pluginName && now!.modelKey) await this.warmUp?.(deployment.id, { pluginName: now!.pluginName, modelKey: now!.modelKey });
      const oldRoute = this.routes.get(deployment.name) ?? null;
      await this.db.transaction(async (tx) => {
        await this.bump(tx, deployment, {
          modelVersionId: version.id,
          sourceAlias: null,
          pluginName: now!.pluginName,
          modelKey: now!.modelKey,
          previousVersionId: deployment.modelVersionId,
          bakeUntil: bake && bake.minutes > 0 ? new Date(promotedAt.getTime() + bake.minutes * 60_000) : null,
          bakeSettings: bake && bake.minutes > 0 ? bake : null,
        });
        const members = tx.getRepository(DeploymentVersionEntity);
        if (oldStandby) await members.delete({ deploymentId: deployment.id, modelVersionId: oldStandby.modelVersionId });
        await members.delete({ deploymentId: deployment.id, modelVersionId: version.id });
        await members.save({
          deploymentId: deployment.id,
          modelVersionId: deployment.modelVersionId,
          role: 'standby',
          weight: 0,
          state: 'READY',
          failure: null,
          pluginName: deployment.pluginName,
          modelKey: deployment.modelKey,
          addedBy: caller.principal.userId,
          reason: `the champion before version ${version.version} was promoted`,
          addedAt: promotedAt,
        });
        const bakeText = bake && bake.minutes > 0 ? `; bake ${bake.minutes} min` : '';
        await this.deployments.event(tx, deployment.id, 'promoted', caller.principal.userId, deployment.modelVersionId, version.id, `version ${version.version} from ${now!.role}${bakeText}`, options.changeRequestId ?? null, reason);
      });
      const fresh = await this.deployments.reload(deployment.id);
      this.routes.set(await this.deployments.routeFor(fresh));
      this.logger.info({ deployment: deployment.name, version: version.version, reason }, 'version promoted to champion');
      if (oldStandby) await this.retireMembers(deployment, [oldStandby], oldRoute);
      // Without a bake period the old champion is not kept.
      if (!fresh.bakeUntil) await this.dropStandby(fresh, 'no bake period was asked for');
      return { deployment: await this.deployments.reload(deployment.id), changeRequest: null };
    });
  }

  /** Rolls back the last promotion (a caller's). Refused while another change of the deployment runs. */
  async rollback(caller: Caller, input: { deploymentId: string; reason: string }): Promise<DeploymentEntity> {
    const deployment = await this.deployments.get(caller, input.deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    return this.rollbackAs({ userId: caller.principal.userId }, deployment, validReason(input.reason), 'rolled-back');
  }

  /** The bake watcher's rollback: the new champion crossed a threshold. */
  async autoRollback(deploymentId: string, reason: string): Promise<DeploymentEntity> {
    return this.rollbackAs({ userId: null }, await this.deployments.reload(deploymentId), validReason(reason), 'auto-rolled-back');
  }

  private async rollbackAs(actor: Actor, deployment: DeploymentEntity, reason: string, kind: 'rolled-back' | 'auto-rolled-back'): Promise<DeploymentEntity> {
    this.assertServing(deployment);
    const target = deployment.previousVersionId;
    if (!target) {
      throw new DeploymentError(DeploymentErrorCode.NOTHING_TO_ROLL_BACK, `Deployment "${deployment.name}" has no previous champion to roll back to (it was never promoted, or was rolled back already).`);
    }
    return (
      await this.exclusive(deployment, async () => {
        const standby = await this.db.getRepository(DeploymentVersionEntity).findOneBy({ deploymentId: deployment.id, modelVersionId: target });
        // After the bake period the previous champion was unloaded: load it again first (the champion keeps serving meanwhile).
        let placed = standby?.state === 'READY' && standby.pluginName && standby.modelKey ? { pluginName: standby.pluginName, modelKey: standby.modelKey } : null;
        let loadedNow = false;
        if (!placed) {
          placed = (await this.loadAll(deployment, [target])).get(target)!;
          loadedNow = true;
        }
        const demoted = { name: deployment.name, pluginName: deployment.pluginName, modelKey: deployment.modelKey };
        const oldRoute = this.routes.get(deployment.name) ?? null;
        const targetVersion = await this.registry.versionById(target);
        try {
          await this.db.transaction(async (tx) => {
            await this.bump(tx, deployment, {
              modelVersionId: target,
              sourceAlias: null,
              pluginName: placed.pluginName,
              modelKey: placed.modelKey,
              previousVersionId: null,
              bakeUntil: null,
              bakeSettings: null,
            });
            await tx.getRepository(DeploymentVersionEntity).delete({ deploymentId: deployment.id, modelVersionId: target });
            await this.deployments.event(tx, deployment.id, kind, actor.userId, deployment.modelVersionId, target, `back to version ${targetVersion.version}`, null, reason);
          });
        } catch (err) {
          if (loadedNow) await this.unloadAll(deployment, [placed]);
          throw err;
        }
        const fresh = await this.deployments.reload(deployment.id);
        this.routes.set(await this.deployments.routeFor(fresh));
        this.logger.warn({ deployment: deployment.name, to: targetVersion.version, reason, automatic: kind === 'auto-rolled-back' }, 'deployment rolled back');
        if (demoted.pluginName && demoted.modelKey) await this.deployments.retire({ name: demoted.name, pluginName: demoted.pluginName, modelKey: demoted.modelKey }, oldRoute);
        return { deployment: fresh, changeRequest: null };
      })
    ).deployment;
  }

  /** Ends a bake period that ran its time without a rollback: the standby is unloaded. False if there was none to end. */
  async finishBake(deploymentId: string): Promise<boolean> {
    const deployment = await this.deployments.reload(deploymentId);
    if (!deployment.bakeUntil || deployment.bakeUntil.getTime() > Date.now() || this.deployments.rollouts.has(deployment.id)) return false;
    const done = await this.exclusive(deployment, async () => {
      await this.db.transaction(async (tx) => {
        await this.bump(tx, deployment, { bakeUntil: null, bakeSettings: null });
        await this.deployments.event(tx, deployment.id, 'bake-passed', null, null, deployment.modelVersionId, `the champion stayed within its thresholds for ${deployment.bakeSettings?.minutes ?? '?'} min`);
      });
      return { deployment, changeRequest: null };
    }).then(
      () => true,
      (err: unknown) => {
        if (err instanceof DeploymentError && (err.code === DeploymentErrorCode.CONCURRENT_CHANGE || err.code === DeploymentErrorCode.ROLLOUT_IN_PROGRESS)) return false;
        throw err;
      },
    );
    if (done) await this.dropStandby(await this.deployments.reload(deploymentId), 'the bake period passed');
    return done;
  }

  /** Deployments in a bake period, for the watcher. */
  async baking(): Promise<DeploymentEntity[]> {
    return this.db.getRepository(DeploymentEntity).createQueryBuilder('d').where('d.deleted_at IS NULL AND d.bake_until IS NOT NULL').getMany();
  }

  // ---- helpers --------------------------------------------------------------

  private assertServing(deployment: DeploymentEntity): void {
    if (deployment.kind === 'external') {
      throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, `Deployment "${deployment.name}" is external: its traffic is routed where it runs, not by Modelport.`);
    }
    if (deployment.state !== 'READY') {
      throw new DeploymentError(DeploymentErrorCode.DEPLOYMENT_NOT_READY, `Deployment "${deployment.name}" is ${deployment.state}; its traffic can change once it is READY.`);
    }
  }

  private assertPromotable(deployment: DeploymentEntity, version: number, member: DeploymentVersionEntity | null): void {
    if (!member || member.role === 'standby') {
      throw new DeploymentError(
        DeploymentErrorCode.VERSION_NOT_READY,
        `Version ${version} is not loaded on deployment "${deployment.name}": attach it as a shadow or a canary first (setTrafficPolicy), let it prove itself, then promote it.`,
        { version },
      );
    }
    if (member.state !== 'READY') {
      throw new DeploymentError(
        DeploymentErrorCode.VERSION_NOT_READY,
        `Version ${version} is ${member.state} on deployment "${deployment.name}"${member.failure ? `: ${member.failure}` : ''}; only a READY version can be promoted.`,
        { version },
      );
    }
  }

  private async versionOf(caller: Caller, deployment: DeploymentEntity, version: number, field: string) {
    if (!Number.isInteger(version) || version < 1) throw invalid(field, `${field} must be a version number (1 or more), got ${version}.`);
    return this.registry.resolveVersion(caller, deployment.modelId, { version });
  }

  private async assertCompatible(deployment: DeploymentEntity, versionId: string): Promise<void> {
    const [champion, challenger] = await Promise.all([this.registry.versionById(deployment.modelVersionId), this.registry.versionById(versionId)]);
    const differences = signatureDifferences(servingSignature(champion.signature, `Version ${champion.version}`), servingSignature(challenger.signature, `Version ${challenger.version}`));
    if (differences.length) {
      throw new DeploymentError(
        DeploymentErrorCode.SIGNATURE_INCOMPATIBLE,
        `Version ${challenger.version} cannot take the requests of champion version ${champion.version}: ${differences.join('; ')}.`,
        { version: challenger.version, differences },
      );
    }
  }

  /** Runs a change with the deployment's in-process lock (another change of it meanwhile is refused, not queued). */
  private async exclusive(deployment: DeploymentEntity, change: () => Promise<DeploymentChange>): Promise<DeploymentChange> {
    if (this.deployments.rollouts.has(deployment.id)) {
      throw new DeploymentError(
        DeploymentErrorCode.ROLLOUT_IN_PROGRESS,
        `Deployment "${deployment.name}" is in the middle of another change (a promotion, rollback, traffic or version change). Wait for it to finish, read the deployment again, then retry.`,
      );
    }
    this.deployments.rollouts.add(deployment.id);
    try {
      return await change();
    } finally {
      this.deployments.rollouts.delete(deployment.id);
    }
  }

  /** The conditional write every change makes: it applies only if nobody changed the deployment since it was read. */
  private async bump(tx: EntityManager, deployment: DeploymentEntity, changes: Partial<DeploymentEntity>): Promise<void> {
    const result = await tx
      .getRepository(DeploymentEntity)
      .createQueryBuilder()
      .update()
      .set({ ...changes, revision: deployment.revision + 1, updatedAt: new Date() })
      .where('id = :id AND revision = :revision AND deleted_at IS NULL', { id: deployment.id, revision: deployment.revision })
      .execute();
    if (!result.affected) {
      throw new DeploymentError(
        DeploymentErrorCode.CONCURRENT_CHANGE,
        `Deployment "${deployment.name}" was changed by someone else meanwhile (revision ${deployment.revision} is no longer current); nothing was applied. Read it again and retry if the change still makes sense.`,
      );
    }
  }

  private async loadAll(deployment: DeploymentEntity, versionIds: readonly string[]): Promise<Map<string, { pluginName: string; modelKey: string }>> {
    const loaded = new Map<string, { pluginName: string; modelKey: string }>();
    for (const id of versionIds) {
      try {
        loaded.set(id, await this.deployments.place(deployment, id));
      } catch (err) {
        await this.unloadAll(deployment, [...loaded.values()]);
        const version = await this.registry.versionById(id).catch(() => null);
        throw new DeploymentError(
          DeploymentErrorCode.ROLLOUT_FAILED,
          `Version ${version?.version ?? id} could not be loaded, so nothing changed: ${err instanceof Error ? err.message : String(err)}`,
          { deploymentId: deployment.id },
        );
      }
    }
    return loaded;
  }

  private async unloadAll(deployment: DeploymentEntity, placed: readonly { pluginName: string; modelKey: string }[]): Promise<void> {
    for (const p of placed) await this.deployments.retire({ name: deployment.name, pluginName: p.pluginName, modelKey: p.modelKey }, null);
  }

  /** Unloads versions that left the policy, once the requests holding the route they were on have finished. */
  private async retireMembers(deployment: DeploymentEntity, members: readonly DeploymentVersionEntity[], oldRoute: Route | null): Promise<void> {
    for (const m of members) {
      if (m.pluginName && m.modelKey) await this.deployments.retire({ name: deployment.name, pluginName: m.pluginName, modelKey: m.modelKey }, oldRoute);
    }
  }

  private async dropStandby(deployment: DeploymentEntity, why: string): Promise<void> {
    const standby = await this.db.getRepository(DeploymentVersionEntity).findOneBy({ deploymentId: deployment.id, role: 'standby' });
    if (!standby) return;
    await this.db.getRepository(DeploymentVersionEntity).delete({ deploymentId: deployment.id, modelVersionId: standby.modelVersionId });
    if (standby.pluginName && standby.modelKey) await this.deployments.retire({ name: deployment.name, pluginName: standby.pluginName, modelKey: standby.modelKey }, null);
    this.logger.info({ deployment: deployment.name, version: standby.modelVersionId, why }, 'previous champion unloaded');
  }

  private async describe(canaries: readonly { versionId: string; weight: number }[], shadows: readonly string[]): Promise<string> {
    const number = async (id: string) => (await this.registry.versionById(id)).version;
    const parts: string[] = [];
    for (const c of canaries) parts.push(`canary v${await number(c.versionId)} ${c.weight}%`);
    for (const s of shadows) parts.push(`shadow v${await number(s)}`);
    return parts.length ? `, ${parts.join(', ')}` : ', no canaries or shadows';
  }
}
