export {
  AlertService,
  AlertSignalRegistry,
  EVALUATE_ALERTS_JOB,
  DELIVER_WEBHOOK_JOB,
  type AlertSignals,
  type AlertSignalReader,
  type AlertServiceOptions,
  type AlertEvent,
  type AlertEventListener,
} from './domain/alert.service';
export { registerAlertJobs, enqueueAlertEvaluation, ALERT_EVALUATION_INTERVAL_MS } from './domain/alert.jobs';
export { registerServiceSignals, serviceStatus } from './domain/service-signals';
export { AlertKind, ALERT_KINDS, type RuleStanding } from './domain/alert.types';
export { step, breaches, validateAlertRule, type AlertRuleInput, type ValidAlertRule } from './domain/alert.rules';
export { signWebhook, verifyWebhook, validateWebhookUrl, newWebhookSecret, SIGNATURE_HEADER, EVENT_HEADER, DELIVERY_HEADER, retryDelayMs } from './domain/webhook';
export { AlertError, AlertErrorCode } from './domain/alert.errors';
export { alertEntities, AlertRuleEntity, AlertEntity } from './persistence/alert.entities';
export { alertMigrations } from './persistence/alerts.migrations';
export { AlertResolver } from './graphql/alert.resolver';
