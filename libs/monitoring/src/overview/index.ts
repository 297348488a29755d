export { OverviewService, OVERVIEW_SORTS, STATUS_RANK, type OverviewRow, type OverviewQuery, type Status, type StatusPart, type StatusSource } from './overview.service';
export { OverviewResolver } from './overview.resolver';
