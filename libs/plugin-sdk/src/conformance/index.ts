export { runConformance, type ConformanceCheck, type ConformanceReport, type RunConformanceOptions } from './run-conformance';
export { launchLocalPlugin, type LaunchedPlugin, type LaunchOptions, type PluginExitStatus } from './launch-local-plugin';
export { startArtifactServer, type ArtifactServer } from './artifact-server';
export { sampleInputs } from './sample-inputs';
