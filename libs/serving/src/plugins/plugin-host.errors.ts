import { type ErrorKind, ModelportError } from '@modelport/errors';

export enum PluginHostErrorCode {
  /** No registered or launched plugin serves the model format at all. */
  NO_PLUGIN_FOR_FORMAT = 'NO_PLUGIN_FOR_FORMAT',
  /** No plugin has this name. */
  PLUGIN_NOT_FOUND = 'PLUGIN_NOT_FOUND',
  /** The plugin exists but is not serving right now (starting, restarting, down, lease expired). */
  PLUGIN_UNAVAILABLE = 'PLUGIN_UNAVAILABLE',
  /** The named plugin does not serve the requested model format. */
  PLUGIN_FORMAT_NOT_SERVED = 'PLUGIN_FORMAT_NOT_SERVED',
  /** The local plugin configuration is invalid (empty or duplicate names, no command). */
  INVALID_PLUGIN_CONFIG = 'INVALID_PLUGIN_CONFIG',
  /** A local plugin could not be launched (spawn failure, handshake error or timeout, GetInfo failure). */
  PLUGIN_LAUNCH_FAILED = 'PLUGIN_LAUNCH_FAILED',
}

const KIND: Record<PluginHostErrorCode, ErrorKind> = {
  NO_PLUGIN_FOR_FORMAT: 'NOT_FOUND',
  PLUGIN_NOT_FOUND: 'NOT_FOUND',
  PLUGIN_UNAVAILABLE: 'UNAVAILABLE',
  PLUGIN_FORMAT_NOT_SERVED: 'BAD_USER_INPUT',
  INVALID_PLUGIN_CONFIG: 'BAD_USER_INPUT',
  PLUGIN_LAUNCH_FAILED: 'UNAVAILABLE',
};

export class PluginHostError extends ModelportError {
  constructor(code: PluginHostErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'PluginHostError';
  }
}
