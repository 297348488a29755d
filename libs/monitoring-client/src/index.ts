export { ModelportMonitor, type ActualRecord, type FeatureValue, type MonitorError, type MonitorOptions, type MonitorStats, type PredictionRecord } from './monitor';
