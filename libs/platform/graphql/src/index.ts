export { PageInfo, PageArgs, ConnectionType, toConnection, type Connection } from './connection';
export { queryLimitsRule, measureOperation, type QueryLimits } from './query-limits';
