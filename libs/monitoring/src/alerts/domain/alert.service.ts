import type { DataSource } from 'typeorm';
import { isUuid, pageSize, uniqueViolation } from '@modelport/database';
import { asSubject, assertCan, type Caller } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import type { DeploymentService } from '@modelport/serving';
import { AlertEntity, AlertRuleEntity, NotificationChannelEntity, NotificationEntity, WebhookDeliveryEntity } from '../persistence/alert.entities';
import { AlertError, AlertErrorCode, invalidAlertArgument } from './alert.errors';
import { step, validateAlertRule, type AlertRuleInput } from './alert.rules';
import type { AlertKind } from './alert.types';
import { DELIVERY_HEADER, EVENT_HEADER, newWebhookSecret, retryDelayMs, SIGNATURE_HEADER, signWebhook, validateWebhookUrl } from './webhook';

export const EVALUATE_ALERTS_JOB = 'monitoring.evaluate-alerts';
export const DELIVER_WEBHOOK_JOB = 'monitoring.deliver-webhook';

/** One number per rule and evaluation, from the deployment's monitoring data; null when the window has no data. */
export interface AlertSignals {
  value(rule: AlertRuleEntity, now: Date): Promise<number | null>;
}

export interface AlertServiceOptions {
  readonly logger: Logger;
  readonly maxPageSize: number;
  /** Tries per webhook delivery before it is FAILED. Default 6 (about a minute of backoff from 2 s). */
  readonly maxDeliveryAttempts?: number;
  readonly deliveryTimeoutMs?: number;
  /** Base of the exponential backoff between delivery tries. Default 2000 ms. */
  readonly retryBaseMs?: number;
  readonly clock?: { now(): Date };
}

interface DeliverJob {
  readonly deliveryId: string;
  readonly attempt: number;
}

/** An alert that fired or resolved, with its rule as stored after that evaluation. */
export interface AlertEvent {
  readonly event: 'alert.fired' | 'alert.resolved';
  readonly alert: AlertEntity;
  readonly rule: AlertRuleEntity;
}

export type AlertEventListener = (e: AlertEvent) => Promise<void> | void;

/**
 * Alert rules on deployments, evaluated by a scheduled job with hysteresis and de-duplication (one open alert
 * per rule); when one fires or resolves, the model's owner and the deployment's creator get it in their inbox
 * and each channel of the rule gets a signed webhook, tried again with backoff, every try in the delivery log.
 */
export class AlertService {
  private readonly clock: { now(): Date };
  private readonly listeners = new Set<AlertEventListener>();

  constructor(
    private readonly db: DataSource,
    private readonly queue: Pick<JobQueue, 'enqueue'>,
    private readonly deployments: Pick<DeploymentService, 'get'>,
    private readonly signals: AlertSignals,
    private readonly options: AlertServiceOptions,
  ) {
    this.clock = options.clock ?? { now: () => new Date() };
  }

  /**
   * Calls `listener` after each alert fired or resolved (once the owners and channels were notified), in the
   * evaluation; a listener that throws is logged and never stops the evaluation. Returns the unsubscribe.
   */
  onAlertEvent(listener: AlertEventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  // ---- channels -------------------------------------------------------------

  /** A webhook channel of a project (its admins); the signing secret is returned once. */
  async createChannel(caller: Caller, input: { projectId: string; name: string; url: string }): Promise<{ channel: NotificationChannelEntity; secret: string }> {
    if (!isUuid(input.projectId)) throw invalidAlertArgument('projectId', `"${input.projectId}" is not a project id (a UUID).`);
    assertCan(caller.ability, 'update', 'Project', { id: input.projectId });
    const name = String(input.name ?? '').trim();
    if (name.length === 0 || name.length > 100) throw invalidAlertArgument('name', 'A channel needs a name of 1 to 100 characters.');
    const url = validateWebhookUrl(input.url);
    const secret = newWebhookSecret();
    try {
      const channel = await this.db.getRepository(NotificationChannelEntity).save({ projectId: input.projectId, name, kind: 'webhook', url, secret, createdBy: caller.principal.userId });
      return { channel, secret };
    } catch (err) {
      if (uniqueViolation(err) === 'notification_channels_name_unique') {
        throw new AlertError(AlertErrorCode.CHANNEL_NAME_TAKEN, `Project ${input.projectId} already has a channel named "${name}".`, { field: 'name' });
      }
      throw err;
    }
  }

  async listChannels(caller: Caller, projectId: string): Promise<NotificationChannelEntity[]> {
    if (!isUuid(projectId) || !caller.ability.can('read', asSubject('Project', { id: projectId }))) return [];
    return this.db.getRepository(NotificationChannelEntity).find({ where: { projectId }, order: { name: 'ASC' } });
  }

  async deleteChannel(caller: Caller, id: string): Promise<boolean> {
    const channel = await this.visibleChannel(caller, id);
    assertCan(caller.ability, 'update', 'Project', { id: channel.projectId });
    await this.db.query(`UPDATE alert_rules SET channel_ids = array_remove(channel_ids, $1::uuid) WHERE $1::uuid = ANY(channel_ids)`, [channel.id]);
    await this.db.getRepository(NotificationChannelEntity).delete({ id: channel.id });
    return true;
  }

  // ---- rules ----------------------------------------------------------------

  async createRule(caller: Caller, deploymentId: string, input: AlertRuleInput): Promise<AlertRuleEntity> {
    const deployment = await this.deployments.get(caller, deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    const rule = validateAlertRule(input);
    for (const channelId of rule.channelIds) {
      const channel = isUuid(channelId) ? await this.db.getRepository(NotificationChannelEntity).findOneBy({ id: channelId }) : null;
      if (!channel || channel.projectId !== deployment.projectId) {
        throw new AlertError(AlertErrorCode.CHANNEL_NOT_FOUND, `No channel ${channelId} in the deployment's project; create one with createNotificationChannel.`, { field: 'channelIds' });
      }
    }
    return this.db.getRepository(AlertRuleEntity).save({
      deploymentId: deployment.id,
      projectId: deployment.projectId,
      kind: rule.kind,
      threshold: rule.threshold,
      comparison: rule.comparison,
      windowMinutes: rule.windowMinutes,
      fireAfter: rule.fireAfter,
      resolveAfter: rule.resolveAfter,
      metric: rule.metric,
      channelIds: [...rule.channelIds],
      notifyOwners: rule.notifyOwners,
      enabled: true,
      state: 'OK',
      breaches: 0,
      clears: 0,
      lastValue: null,
      lastEvaluatedAt: null,
      createdBy: caller.principal.userId,
    });
  }

  async listRules(caller: Caller, deploymentId: string): Promise<AlertRuleEntity[]> {
    const deployment = await this.deployments.get(caller, deploymentId);
    return this.db.getRepository(AlertRuleEntity).find({ where: { deploymentId: deployment.id }, order: { createdAt: 'ASC' } });
  }

  async deleteRule(caller: Caller, id: string): Promise<boolean> {
    const rule = isUuid(id) ? await this.db.getRepository(AlertRuleEntity).findOneBy({ id }) : null;
    if (!rule) throw new AlertError(AlertErrorCode.ALERT_RULE_NOT_FOUND, `No alert rule with id ${id}.`);
    const deployment = await this.deployments.get(caller, rule.deploymentId).catch(() => {
      throw new AlertError(AlertErrorCode.ALERT_RULE_NOT_FOUND, `No alert rule with id ${id}.`);
    });
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    await this.db.getRepository(AlertRuleEntity).delete({ id });
    return true;
  }

  async listAlerts(caller: Caller, deploymentId: string, openOnly = false): Promise<AlertEntity[]> {
    const deployment = await this.deployments.get(caller, deploymentId);
    const qb = this.db.getRepository(AlertEntity).createQueryBuilder('a').where('a.deployment_id = :id', { id: deployment.id }).orderBy('a.opened_at', 'DESC').limit(200);
    if (openOnly) qb.andWhere('a.resolved_at IS NULL');
    return qb.getMany();
  }

  async listDeliveries(caller: Caller, channelId: string, first?: number | null): Promise<WebhookDeliveryEntity[]> {
    const channel = await this.visibleChannel(caller, channelId);
    return this.db.getRepository(WebhookDeliveryEntity).find({ where: { channelId: channel.id }, order: { createdAt: 'DESC' }, take: pageSize(first, this.options.maxPageSize) });
  }

  async myNotifications(caller: Caller, first?: number | null): Promise<NotificationEntity[]> {
    return this.db.getRepository(NotificationEntity).find({ where: { userId: caller.principal.userId }, order: { createdAt: 'DESC' }, take: pageSize(first, this.options.maxPageSize) });
  }

  // ---- evaluation -----------------------------------------------------------

  /** Evaluates every enabled rule of every live deployment once (the scheduled job). */
  async evaluate(): Promise<{ evaluated: number; fired: number; resolved: number }> {
    const now = this.clock.now();
    const rules: AlertRuleEntity[] = await this.db
      .getRepository(AlertRuleEntity)
      .createQueryBuilder('r')
      .innerJoin('deployments', 'd', 'd.id = r.deployment_id AND d.deleted_at IS NULL')
      .where('r.enabled')
      .orderBy('r.created_at', 'ASC')
      .getMany();
    let fired = 0;
    let resolved = 0;
    for (const rule of rules) {
      let value: number | null;
      try {
        value = await this.signals.value(rule, now);
      } catch (err) {
        this.options.logger.warn({ err, rule: rule.id, kind: rule.kind }, 'could not read the value of an alert rule; it keeps its state');
        continue;
      }
      const result = step(rule, { state: rule.state, breaches: rule.breaches, clears: rule.clears }, value);
      const wasFiring = rule.state === 'FIRING';
      const stored = { state: result.standing.state, breaches: result.standing.breaches, clears: result.standing.clears, lastValue: value, lastEvaluatedAt: now };
      await this.db.getRepository(AlertRuleEntity).update({ id: rule.id }, stored);
      Object.assign(rule, stored);
      if (result.event === 'fired' && value !== null) {
        const alert = await this.open(rule, value, now);
        if (alert) {
          fired++;
          await this.notify(rule, alert, 'alert.fired');
          await this.emit({ event: 'alert.fired', alert, rule });
        }
      } else if (result.event === 'resolved' && value !== null) {
        const alert = await this.close(rule, value, now);
        if (alert) {
          resolved++;
          await this.notify(rule, alert, 'alert.resolved');
          await this.emit({ event: 'alert.resolved', alert, rule });
        }
      } else if (value !== null && wasFiring) {
        await this.db.query(`UPDATE alerts SET last_value = $2 WHERE rule_id = $1 AND resolved_at IS NULL`, [rule.id, value]);
      }
    }
    return { evaluated: rules.length, fired, resolved };
  }

  private async open(rule: AlertRuleEntity, value: number, now: Date): Promise<AlertEntity | null> {
    // The partial unique index keeps one open alert per rule: a second opening inserts nothing.
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO alerts (rule_id, deployment_id, project_id, kind, opened_at, opened_value, last_value)
       VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING RETURNING id`,
      [rule.id, rule.deploymentId, rule.projectId, rule.kind, now, value],
    );
    return rows[0] ? this.db.getRepository(AlertEntity).findOneByOrFail({ id: rows[0].id }) : null;
  }

  private async close(rule: AlertRuleEntity, value: number, now: Date): Promise<AlertEntity | null> {
    // node-postgres through TypeORM answers an UPDATE with [rows, affected].
    const [rows] = (await this.db.query(`UPDATE alerts SET resolved_at = $2, last_value = $3 WHERE rule_id = $1 AND resolved_at IS NULL RETURNING id`, [rule.id, now, value])) as [
      { id: string }[],
      number,
    ];
    return rows[0] ? this.db.getRepository(AlertEntity).findOneByOrFail({ id: rows[0].id }) : null;
  }

  /** The owners' inbox and a delivery per channel; a delivery is tried by the queue, not here. */
  private async notify(rule: AlertRuleEntity, alert: AlertEntity, event: 'alert.fired' | 'alert.resolved'): Promise<void> {
    const [context] = (await this.db.query(
      `SELECT d.name AS deployment_name, d.created_by, m.owner_id, m.name AS model_name
         FROM deployments d JOIN models m ON m.id = d.model_id WHERE d.id = $1`,
      [rule.deploymentId],
    )) as { deployment_name: string; created_by: string | null; owner_id: string | null; model_name: string }[];
    const payload = {
      event,
      alert: { id: alert.id, kind: alert.kind, openedAt: alert.openedAt.toISOString(), resolvedAt: alert.resolvedAt?.toISOString() ?? null, value: alert.lastValue },
      rule: { id: rule.id, kind: rule.kind, threshold: rule.threshold, comparison: rule.comparison, windowMinutes: rule.windowMinutes, metric: rule.metric },
      deployment: { id: rule.deploymentId, name: context?.deployment_name ?? null, projectId: rule.projectId },
      model: { name: context?.model_name ?? null },
    };
    const title = `${rule.kind} ${event === 'alert.fired' ? 'fired' : 'resolved'} on ${context?.deployment_name ?? rule.deploymentId}: ${alert.lastValue} (${rule.comparison} ${rule.threshold})`;
    if (rule.notifyOwners && context) {
      const owners = [...new Set([context.owner_id, context.created_by].filter((u): u is string => !!u))];
      if (owners.length > 0) {
        await this.db.query(
          `INSERT INTO notifications (user_id, alert_id, event, title, body) SELECT u.id, $2, $3, $4, $5 FROM users u WHERE u.id = ANY($1::uuid[])`,
          [owners, alert.id, event, title, JSON.stringify(payload)],
        );
      }
    }
    for (const channelId of rule.channelIds) {
      const delivery = await this.db.getRepository(WebhookDeliveryEntity).save({ channelId, alertId: alert.id, event, payload, status: 'PENDING', attempts: 0, nextAttemptAt: this.clock.now() });
      await this.queue.enqueue<DeliverJob>(DELIVER_WEBHOOK_JOB, { deliveryId: delivery.id, attempt: 1 }, { jobId: `webhook-${delivery.id}-1`, attempts: 1 });
    }
  }

  private async emit(e: AlertEvent): Promise<void> {
    for (const listener of [...this.listeners]) {
      try {
        await listener(e);
      } catch (err) {
        this.options.logger.error({ err, alert: e.alert.id, rule: e.rule.id, event: e.event }, 'an alert event listener failed; the evaluation goes on');
      }
    }
  }

  // ---- delivery -------------------------------------------------------------

  /**
   * One try of one delivery: POST the payload, signed. A 2xx answer delivers it; anything else (or no answer
   * within the timeout) schedules the next try with exponential backoff, until the last try marks it FAILED.
   */
  async deliver(job: DeliverJob): Promise<WebhookDeliveryEntity['status']> {
    const delivery = await this.db.getRepository(WebhookDeliveryEntity).findOneBy({ id: job.deliveryId });
    if (!delivery || delivery.status !== 'PENDING' || delivery.attempts >= job.attempt) return delivery?.status ?? 'FAILED';
    const channel = await this.db.getRepository(NotificationChannelEntity).findOneBy({ id: delivery.channelId });
    if (!channel) return 'FAILED';
    const body = JSON.stringify({ deliveryId: delivery.id, ...delivery.payload });
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(channel.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Modelport-Webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(channel.secret, timestamp, body),
          [EVENT_HEADER]: delivery.event,
          [DELIVERY_HEADER]: delivery.id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.deliveryTimeoutMs ?? 10_000),
      });
      statusCode = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `the receiver answered ${res.status}`;
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? `no answer within ${this.options.deliveryTimeoutMs ?? 10_000} ms` : `could not reach the receiver: ${(err as Error).message}`;
    }
    const attempts = job.attempt;
    if (error === null) {
      await this.db.getRepository(WebhookDeliveryEntity).update({ id: delivery.id }, { status: 'DELIVERED', attempts, lastStatusCode: statusCode, lastError: null, nextAttemptAt: null, deliveredAt: this.clock.now() });
      return 'DELIVERED';
    }
    const max = this.options.maxDeliveryAttempts ?? 6;
    if (attempts >= max) {
      await this.db.getRepository(WebhookDeliveryEntity).update({ id: delivery.id }, { status: 'FAILED', attempts, lastStatusCode: statusCode, lastError: `${error} (gave up after ${attempts} tries)`, nextAttemptAt: null });
      this.options.logger.warn({ delivery: delivery.id, channel: channel.id, error }, 'webhook delivery failed for good');
      return 'FAILED';
    }
    const delayMs = retryDelayMs(attempts, this.options.retryBaseMs);
    await this.db.getRepository(WebhookDeliveryEntity).update(
      { id: delivery.id },
      { attempts, lastStatusCode: statusCode, lastError: error, nextAttemptAt: new Date(this.clock.now().getTime() + delayMs) },
    );
    await this.queue.enqueue<DeliverJob>(DELIVER_WEBHOOK_JOB, { deliveryId: delivery.id, attempt: attempts + 1 }, { jobId: `webhook-${delivery.id}-${attempts + 1}`, attempts: 1, delayMs });
    return 'PENDING';
  }

  private async visibleChannel(caller: Caller, id: string): Promise<NotificationChannelEntity> {
    const channel = isUuid(id) ? await this.db.getRepository(NotificationChannelEntity).findOneBy({ id }) : null;
    if (!channel || !caller.ability.can('read', asSubject('Project', { id: channel.projectId }))) {
      throw new AlertError(AlertErrorCode.CHANNEL_NOT_FOUND, `No notification channel with id ${id} is visible to you.`);
    }
    return channel;
  }
}

/** The value of each alert kind, read from the monitoring data (see the signals each kind needs). */
export type AlertSignalReader = (rule: AlertRuleEntity, now: Date) => Promise<number | null>;

/** Signals by kind; a kind without a reader has no value (the rule never changes state) and the evaluation logs it once. */
export class AlertSignalRegistry implements AlertSignals {
  private readonly readers = new Map<string, AlertSignalReader>();

  register(kind: AlertKind, reader: AlertSignalReader): this {
    this.readers.set(kind, reader);
    return this;
  }

  async value(rule: AlertRuleEntity, now: Date): Promise<number | null> {
    const reader = this.readers.get(rule.kind);
    return reader ? reader(rule, now) : null;
  }
}
