import { randomBytes } from 'node:crypto';
import { HANDSHAKE_ENV, negotiateProtocolVersion, parseProtocolVersions, REMOTE_ENV, SUPPORTED_PROTOCOL_VERSIONS } from './handshake';
import { isLogLevel, type LogLevel } from './logger';

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_GRACE_PERIOD_MS = 10_000;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
export const LOG_LEVEL_ENV = 'MODELPORT_PLUGIN_LOG_LEVEL';

/** The one place the SDK reads the process environment (the handshake, remote mode, the CLI's secret). */
export function processEnvironment(): Readonly<Record<string, string | undefined>> {
  return process.env;
}

/** Where and how a plugin listens; what servePlugin resolved from its options and the environment. */
export type ListenSettings =
  | {
      readonly mode: 'local';
      readonly socketPath: string;
      readonly secret: string;
      readonly protocolVersion: number;
    }
  | {
      /** The host offered only protocol versions this SDK does not speak. */
      readonly mode: 'refused';
      readonly message: string;
    }
  | {
      readonly mode: 'tcp';
      readonly listen: string;
      /** host:port the core can reach; undefined means "the bound address". */
      readonly advertise: string | undefined;
      readonly registry: { readonly address: string; readonly token: string } | undefined;
      readonly secret: string;
    };

export interface ListenOptions {
  readonly socketPath?: string;
  readonly secret?: string;
  readonly listen?: string;
  readonly advertise?: string;
  readonly registryAddress?: string;
  readonly registrationToken?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The one place the SDK reads its environment. Options win over variables.
 * Throws an Error naming every problem when the settings cannot work.
 */
export function resolveListenSettings(options: ListenOptions, env: Env): ListenSettings {
  const val = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const socketPath = options.socketPath ?? (options.listen === undefined ? val(HANDSHAKE_ENV.socket) : undefined);
  if (socketPath !== undefined) {
    const problems: string[] = [];
    const secret = options.secret ?? val(HANDSHAKE_ENV.secret);
    if (!secret) problems.push(`${HANDSHAKE_ENV.secret} is required in local mode (the host sets it together with ${HANDSHAKE_ENV.socket})`);
    const offeredText = val(HANDSHAKE_ENV.protocolVersions);
    let offered: number[] = [...SUPPORTED_PROTOCOL_VERSIONS];
    if (offeredText !== undefined) {
      try {
        offered = parseProtocolVersions(offeredText);
      } catch (err) {
        problems.push((err as Error).message);
      }
    } else if (options.socketPath === undefined) {
      problems.push(`${HANDSHAKE_ENV.protocolVersions} is required in local mode (the host sets it together with ${HANDSHAKE_ENV.socket})`);
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
    const protocolVersion = negotiateProtocolVersion(offered);
    if (protocolVersion === undefined) {
      return {
        mode: 'refused',
        message: `the host offers plugin protocol version(s) ${offered.join(', ')}, this plugin speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`,
      };
    }
    return { mode: 'local', socketPath, secret: secret!, protocolVersion };
  }

  const listen = options.listen ?? val(REMOTE_ENV.listen);
  if (listen === undefined) {
    throw new Error(
      `nowhere to listen: this plugin is normally started by the Modelport plugin host, which sets ${HANDSHAKE_ENV.socket}; ` +
        `to run it remotely set ${REMOTE_ENV.listen} (host:port), ${REMOTE_ENV.advertise}, ${REMOTE_ENV.registryAddress} and ${REMOTE_ENV.registrationToken}`,
    );
  }
  const problems: string[] = [];
  if (!isHostPort(listen)) problems.push(`${REMOTE_ENV.listen} must be host:port, e.g. 0.0.0.0:9000 (got "${listen}")`);
  const advertise = options.advertise ?? val(REMOTE_ENV.advertise);
  if (advertise !== undefined && !isHostPort(advertise)) problems.push(`${REMOTE_ENV.advertise} must be host:port the core can reach (got "${advertise}")`);
  const registryAddress = options.registryAddress ?? val(REMOTE_ENV.registryAddress);
  const token = options.registrationToken ?? val(REMOTE_ENV.registrationToken);
  if (registryAddress !== undefined && !token) problems.push(`${REMOTE_ENV.registrationToken} is required when ${REMOTE_ENV.registryAddress} is set`);
  if (token && registryAddress === undefined) problems.push(`${REMOTE_ENV.registryAddress} is required when ${REMOTE_ENV.registrationToken} is set`);
  if (registryAddress !== undefined && advertise === undefined && isWildcardHost(listen)) {
    problems.push(`${REMOTE_ENV.advertise} is required when listening on a wildcard address (${listen}): the core needs an address it can reach`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    mode: 'tcp',
    listen,
    advertise,
    registry: registryAddress !== undefined ? { address: registryAddress, token: token! } : undefined,
    secret: options.secret ?? randomBytes(32).toString('base64url'),
  };
}

/** MODELPORT_PLUGIN_LOG_LEVEL, default info. */
export function resolveLogLevel(env: Env): LogLevel {
  const value = env[LOG_LEVEL_ENV]?.trim().toLowerCase();
  return value && isLogLevel(value) ? value : 'info';
}

export function isHostPort(value: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(value);
  return m !== null && Number(m[2]) <= 65535;
}

function isWildcardHost(hostPort: string): boolean {
  const host = hostPort.slice(0, hostPort.lastIndexOf(':'));
  return host === '0.0.0.0' || host === '[::]' || host === '::';
}
