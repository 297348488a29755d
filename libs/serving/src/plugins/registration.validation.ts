import type { PluginInfo__Output, RegisterRequest__Output } from '@modelport/proto';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const UNSPECIFIED = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/** Parses "host:port" ("[v6]:port" for IPv6); returns an error message a plugin author can act on. */
export function parseHostPort(address: string): HostPort | { readonly error: string } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (!match) return { error: `address ${JSON.stringify(address)} is not host:port (use [addr]:port for IPv6)` };
  const v6 = match[1];
  const host = v6 ?? match[2]!;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return { error: `address ${JSON.stringify(address)} has port ${port}, outside 1-65535` };
  if (v6 !== undefined ? !IPV6.test(v6) : !HOSTNAME.test(host)) return { error: `address ${JSON.stringify(address)} has an invalid host` };
  if (UNSPECIFIED.has(host)) {
    return { error: `address ${JSON.stringify(address)} is a listen-on-all address the core cannot dial; register the host name or IP the core reaches the plugin at` };
  }
  return { host, port };
}

const PLUGIN_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const FORMAT = /^[a-z0-9][a-z0-9._+-]{0,62}$/;
/** Shortest call secret accepted from a remote plugin. */
export const MIN_CALL_SECRET_LENGTH = 16;

/**
 * Checks a Register request apart from the token: address, call secret and
 * the plugin info. Returns the problems found (empty when valid).
 */
export function registerRequestProblems(request: RegisterRequest__Output, supportedVersions: readonly number[]): string[] {
  const problems: string[] = [];
  const address = parseHostPort(request.address);
  if ('error' in address) problems.push(address.error);
  if (request.call_secret.length < MIN_CALL_SECRET_LENGTH) {
    problems.push(`call_secret must be at least ${MIN_CALL_SECRET_LENGTH} characters (use a random value; the core sends it on every call)`);
  }
  const info = request.info;
  if (!info) {
    problems.push('info is required (the PluginInfo the plugin answers in GetInfo)');
    return problems;
  }
  if (!PLUGIN_ID.test(info.id)) problems.push(`info.id ${JSON.stringify(info.id)} must be 1-63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit`);
  if (!info.version) problems.push('info.version is required (the semantic version of the plugin)');
  if (!supportedVersions.includes(info.protocol_version)) {
    problems.push(`info.protocol_version ${info.protocol_version} is not supported; this core speaks ${supportedVersions.join(', ')}`);
  }
  if (info.formats.length === 0) problems.push('info.formats must name at least one model format');
  const seen = new Set<string>();
  for (const format of info.formats) {
    if (!FORMAT.test(format.name)) problems.push(`format name ${JSON.stringify(format.name)} must be lower case (letters, digits, ".", "_", "+", "-")`);
    if (seen.has(format.name)) problems.push(`format ${JSON.stringify(format.name)} is listed twice`);
    seen.add(format.name);
  }
  return problems;
}

function formatsOf(info: PluginInfo__Output): string {
  return [...info.formats]
    .map((f) => `${f.name}:${f.priority}`)
    .sort()
    .join(', ');
}

function capabilitiesOf(info: PluginInfo__Output): string {
  const c = info.capabilities;
  return `raw_contents=${c?.raw_contents ?? false}, batching=${c?.batching ?? false}, max_message_bytes=${Number(c?.max_message_bytes ?? 0)}, infer_stream=${c?.infer_stream ?? false}`;
}

/**
 * Where the info a plugin registered with differs from what it answers in
 * GetInfo (id, version, protocol version, formats with priority,
 * capabilities; free-text details may differ). Empty when they match.
 */
export function pluginInfoDifferences(registered: PluginInfo__Output, answered: PluginInfo__Output): string[] {
  const differences: string[] = [];
  const compare = (field: string, a: string, b: string) => {
    if (a !== b) differences.push(`${field}: registered ${JSON.stringify(a)}, GetInfo answered ${JSON.stringify(b)}`);
  };
  compare('id', registered.id, answered.id);
  compare('version', registered.version, answered.version);
  compare('protocol_version', String(registered.protocol_version), String(answered.protocol_version));
  compare('formats', formatsOf(registered), formatsOf(answered));
  compare('capabilities', capabilitiesOf(registered), capabilitiesOf(answered));
  return differences;
}
