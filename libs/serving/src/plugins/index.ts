// The serving plugin host: launching and supervising local plugins, the
// PluginRegistry for remote ones, typed plugin connections and plugin choice.
export { PluginHost, type PluginHostOptions, type PluginHostEvents, type ChosenPlugin, type ModelsReloadedEvent } from './plugin-host';
export { PluginHostError, PluginHostErrorCode } from './plugin-host.errors';
export { type PluginSummary, type PluginHealth, type PluginKind, type PluginFormatSummary, selectPlugin } from './plugin-selection';
export {
  PluginConnection,
  PluginCallError,
  isPluginCallError,
  pluginChannelOptions,
  DEFAULT_MAX_MESSAGE_BYTES,
  type PluginConnectionOptions,
  type PluginServingStatus,
  type HealthWatch,
} from './plugin-connection';
export {
  LocalPluginProcess,
  defaultPluginBaseEnv,
  type LocalPluginConfig,
  type LocalPluginProcessOptions,
  type LocalPluginProcessEvents,
  type LocalPluginState,
  type PluginExit,
} from './local-plugin-process';
export {
  PluginRegistryService,
  type PluginRegistryOptions,
  type PluginRegistryEvents,
  type AuthorizeRegistration,
  type RegistrationPrincipal,
  type RemotePluginRegistration,
  type RegistrationRemovalReason,
  type LeaseState,
} from './plugin-registry.service';
export { parseHandshake, HANDSHAKE_ENV, HANDSHAKE_PREFIX, HANDSHAKE_ERROR_PREFIX, type Handshake } from './handshake';
export { type BackoffPolicy, DEFAULT_BACKOFF } from './backoff';
export { parseHostPort, pluginInfoDifferences, registerRequestProblems, MIN_CALL_SECRET_LENGTH } from './registration.validation';
