/**
 * History (see README.md here): each deployment's timeline merged from pluggable sources, and the
 * refresh report of production models never refreshed or older than a threshold.
 */
export { historyProviders } from './history.providers';
export { historyEntities, historyMigrations } from './persistence';
export { TimelineService, createTimelineService, type TimelineOptions, type TimelineQuery, type TimelineDeployment } from './domain/timeline.service';
export {
  TIMELINE_CATEGORIES,
  isTimelineCategory,
  wants,
  type TimelineCategory,
  type TimelineEntry,
  type TimelineSourceEntry,
  type TimelineSource,
  type TimelineRange,
  type TimelineActor,
  type TimelineVersion,
  type TimelineReference,
} from './domain/timeline.types';
export { deploymentEventsSource, deploymentEventCategory, DEPLOYMENT_EVENT_CATEGORIES } from './domain/sources/deployment-events.source';
export { changeRequestsSource } from './domain/sources/change-requests.source';
export { alertsSource } from './domain/sources/alerts.source';
export {
  RefreshReportService,
  MAX_OLDER_THAN_DAYS,
  type RefreshReportOptions,
  type StaleModelsQuery,
  type StaleModel,
  type StaleModelsReport,
} from './domain/refresh-report.service';
export { HistoryError, HistoryErrorCode } from './domain/history.errors';
export { HistoryResolver } from './graphql/history.resolver';
