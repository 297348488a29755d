/**
 * The local launch handshake (hashicorp/go-plugin style). The host starts the
 * plugin with these variables; the plugin listens, then writes exactly one
 * first stdout line:
 *
 *   MODELPORT-PLUGIN|<protocol version>|unix|<socket path>|grpc
 *
 * or `MODELPORT-PLUGIN-ERROR|<message>` and exits 1.
 */
// The names and line format are the SDK's: one definition of the contract for both sides.
import { HANDSHAKE_ENV, HANDSHAKE_ERROR_PREFIX, HANDSHAKE_PREFIX } from '@modelport/plugin-sdk';

export { HANDSHAKE_ENV, HANDSHAKE_ERROR_PREFIX, HANDSHAKE_PREFIX };

export type Handshake =
  | {
      readonly ok: true;
      readonly protocolVersion: number;
      readonly network: 'unix' | 'tcp';
      /** Socket path (unix) or host:port (tcp). */
      readonly address: string;
      /** The gRPC target to dial: "unix:<path>" or "host:port". */
      readonly target: string;
    }
  | { readonly ok: false; readonly error: string };

const MAX_SHOWN = 200;

function shown(line: string): string {
  return JSON.stringify(line.length > MAX_SHOWN ? `${line.slice(0, MAX_SHOWN)}…` : line);
}

/**
 * Reads the plugin's first stdout line against the versions the host speaks.
 * Never throws: an unusable line is `{ ok: false, error }` with a message that
 * says what was expected.
 */
export function parseHandshake(line: string, supportedVersions: readonly number[]): Handshake {
  const text = line.replace(/\r$/, '');
  if (text.startsWith(`${HANDSHAKE_ERROR_PREFIX}|`)) {
    const message = text.slice(HANDSHAKE_ERROR_PREFIX.length + 1).trim();
    return { ok: false, error: `the plugin reported an error: ${message || '(no message)'}` };
  }
  const parts = text.split('|');
  if (parts[0] !== HANDSHAKE_PREFIX || parts.length !== 5) {
    return {
      ok: false,
      error: `the first stdout line was ${shown(text)}, not "${HANDSHAKE_PREFIX}|<protocol version>|unix|<socket path>|grpc"; a plugin must print the handshake before anything else on stdout`,
    };
  }
  const [, version, network, address, protocol] = parts as [string, string, string, string, string];
  const protocolVersion = /^\d+$/.test(version) ? Number(version) : NaN;
  if (!supportedVersions.includes(protocolVersion)) {
    return {
      ok: false,
      error: `the plugin answered protocol version ${JSON.stringify(version)}, but the host speaks ${supportedVersions.join(', ')} (offered in ${HANDSHAKE_ENV.protocolVersions})`,
    };
  }
  if (protocol !== 'grpc') return { ok: false, error: `the plugin answered protocol ${JSON.stringify(protocol)}; only "grpc" is supported` };
  if (network === 'unix') {
    if (!address.startsWith('/')) return { ok: false, error: `the plugin answered unix socket ${JSON.stringify(address)}, which is not an absolute path` };
    return { ok: true, protocolVersion, network, address, target: `unix:${address}` };
  }
  if (network === 'tcp') {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(address)) {
      return { ok: false, error: `the plugin answered tcp address ${JSON.stringify(address)}, which is not host:port` };
    }
    return { ok: true, protocolVersion, network, address, target: address };
  }
  return { ok: false, error: `the plugin answered network ${JSON.stringify(network)}; expected "unix" (or "tcp")` };
}
