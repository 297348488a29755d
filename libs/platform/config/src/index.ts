export { loadConfig, configFor, ConfigError, type ModelportConfig, type S3Config } from './config';
export { settings, settingDocs, ROLES, type LocalPluginConfig, type ServerRole, type SettingDoc } from './config.schema';
export { environmentWithoutSettings, pluginBaseEnvironment, testServices, type TestServices } from './test-services';
export { MODELPORT_CONFIG, ARTIFACT_STORE, JOB_QUEUE, LOGGER } from './injection-tokens';
export {
  parseJwtSettings,
  jwtOptionProblems,
  JWT_ALGORITHMS,
  JWT_DEFAULT_ALGORITHMS,
  JWT_OPTION_PATHS,
  JWT_SETTING_VARIABLES,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_CLOCK_TOLERANCE_SECONDS,
  type JwtAuthenticatorOptions,
  type JwtClaimNames,
} from './oidc-settings';
