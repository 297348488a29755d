import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import { RefreshReportService } from './domain/refresh-report.service';
import { createTimelineService, TimelineService } from './domain/timeline.service';
import { HistoryResolver } from './graphql/history.resolver';

/**
 * The Nest providers of deployment timelines and the refresh report. Needs DataSource and
 * MODELPORT_CONFIG in the module that lists them. TimelineService comes with the built-in sources
 * (deployment-events, change-requests, alerts); add more with `registerSource` (e.g. refresh runs,
 * from the provider of the refresh context: `timeline.registerSource('refresh-runs', source)`).
 */
export const historyProviders: Provider[] = [
  {
    provide: TimelineService,
    inject: [DataSource, MODELPORT_CONFIG],
    useFactory: (db: DataSource, config: ModelportConfig) => createTimelineService(db, { maxPageSize: config.graphql.maxPageSize }),
  },
  {
    provide: RefreshReportService,
    inject: [DataSource, MODELPORT_CONFIG],
    useFactory: (db: DataSource, config: ModelportConfig) => new RefreshReportService(db, { maxPageSize: config.graphql.maxPageSize }),
  },
  HistoryResolver,
];
