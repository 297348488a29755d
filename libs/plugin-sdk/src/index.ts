// @modelport/plugin-sdk: write a Modelport serving plugin in TypeScript.
// servePlugin hides gRPC, the launch handshake, registration, health, artifact
// download and digest checks; connectPlugin is the typed client the core uses;
// runConformance checks any plugin (in any language) against the contract.
export * from './runtime';
export * from './tensors';
export { servePlugin, type RunningPlugin, type ServePluginOptions } from './serve-plugin';
export {
  connectPlugin,
  PluginCallError,
  type CallOptions,
  type ConnectOptions,
  type HealthStatus,
  type HealthWatch,
  type PluginConnection,
} from './client';
export type { StatusName } from './call-error';
export { jsonLineLogger, silentPluginLogger, type LogFields, type LogLevel, type PluginLogger } from './logger';
export {
  formatHandshakeError,
  formatHandshakeLine,
  HANDSHAKE_ENV,
  HANDSHAKE_ERROR_PREFIX,
  HANDSHAKE_PREFIX,
  negotiateProtocolVersion,
  parseHandshakeLine,
  parseProtocolVersions,
  REMOTE_ENV,
  SUPPORTED_PROTOCOL_VERSIONS,
  type HandshakeAnswer,
} from './handshake';
export {
  launchLocalPlugin,
  runConformance,
  sampleInputs,
  type ConformanceCheck,
  type ConformanceReport,
  type LaunchedPlugin,
  type LaunchOptions,
  type PluginExitStatus,
  type RunConformanceOptions,
} from './conformance';
