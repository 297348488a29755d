/** Monitoring: service health rollups, reference profiles, drift, actuals and accuracy, alerts. */
export {};
