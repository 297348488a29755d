import { PLUGIN_PROTOCOL_VERSION } from '@modelport/proto';

/**
 * The local launch handshake. The host starts the plugin with these variables
 * set; the plugin listens on the socket and answers with one stdout line.
 */
export const HANDSHAKE_ENV = Object.freeze({
  /** Comma-separated protocol versions the host speaks, e.g. "1". */
  protocolVersions: 'MODELPORT_PLUGIN_PROTOCOL_VERSIONS',
  /** Unix socket path the plugin must listen on. */
  socket: 'MODELPORT_PLUGIN_SOCKET',
  /** Secret every call from the host carries as x-modelport-plugin-secret. */
  secret: 'MODELPORT_PLUGIN_SECRET',
});

/** Remote mode: the plugin listens on TCP and registers with the core. */
export const REMOTE_ENV = Object.freeze({
  listen: 'MODELPORT_PLUGIN_LISTEN',
  advertise: 'MODELPORT_PLUGIN_ADVERTISE',
  registryAddress: 'MODELPORT_REGISTRY_ADDRESS',
  registrationToken: 'MODELPORT_REGISTRATION_TOKEN',
});

export const HANDSHAKE_PREFIX = 'MODELPORT-PLUGIN';
export const HANDSHAKE_ERROR_PREFIX = 'MODELPORT-PLUGIN-ERROR';

/** The protocol versions this SDK speaks, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [PLUGIN_PROTOCOL_VERSION];

/** Parses "1, 2" into [1, 2]; throws on anything that is not a list of positive whole numbers. */
export function parseProtocolVersions(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^[1-9][0-9]*$/.test(p))) {
    throw new Error(`${HANDSHAKE_ENV.protocolVersions} must be a comma-separated list of protocol versions such as "1" (got "${value}")`);
  }
  return parts.map(Number);
}

/** The newest version both sides speak, or undefined. */
export function negotiateProtocolVersion(offered: readonly number[], supported: readonly number[] = SUPPORTED_PROTOCOL_VERSIONS): number | undefined {
  return [...supported].sort((a, b) => b - a).find((v) => offered.includes(v));
}

/** `MODELPORT-PLUGIN|1|unix|/tmp/x/plugin.sock|grpc` */
export function formatHandshakeLine(protocolVersion: number, socketPath: string): string {
  return `${HANDSHAKE_PREFIX}|${protocolVersion}|unix|${socketPath}|grpc`;
}

/** `MODELPORT-PLUGIN-ERROR|<message>`, with line breaks flattened so it stays one line. */
export function formatHandshakeError(message: string): string {
  return `${HANDSHAKE_ERROR_PREFIX}|${message.replace(/[\r\n]+/g, ' ')}`;
}

export type HandshakeAnswer =
  | { readonly ok: true; readonly protocolVersion: number; readonly network: 'unix'; readonly address: string; readonly protocol: 'grpc' }
  | { readonly ok: false; readonly message: string };

/** Parses the plugin's first stdout line; throws with a clear message when it is neither form. */
export function parseHandshakeLine(line: string): HandshakeAnswer {
  const trimmed = line.replace(/\r$/, '');
  if (trimmed.startsWith(`${HANDSHAKE_ERROR_PREFIX}|`)) {
    return { ok: false, message: trimmed.slice(HANDSHAKE_ERROR_PREFIX.length + 1) };
  }
  const parts = trimmed.split('|');
  if (parts.length !== 5 || parts[0] !== HANDSHAKE_PREFIX) {
    throw new Error(`the plugin's first stdout line is not a Modelport handshake ("${HANDSHAKE_PREFIX}|<version>|unix|<socket path>|grpc"): ${JSON.stringify(trimmed.slice(0, 200))}`);
  }
  const [, version, network, address, protocol] = parts as [string, string, string, string, string];
  if (!/^[1-9][0-9]*$/.test(version)) throw new Error(`the plugin's handshake names no protocol version: ${JSON.stringify(trimmed)}`);
  if (network !== 'unix') throw new Error(`the plugin's handshake names network "${network}"; only "unix" is supported`);
  if (!address) throw new Error(`the plugin's handshake names no socket path: ${JSON.stringify(trimmed)}`);
  if (protocol !== 'grpc') throw new Error(`the plugin's handshake names protocol "${protocol}"; only "grpc" is supported`);
  return { ok: true, protocolVersion: Number(version), network, address, protocol };
}
