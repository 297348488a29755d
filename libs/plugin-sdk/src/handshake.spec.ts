import {
  formatHandshakeError,
  formatHandshakeLine,
  negotiateProtocolVersion,
  parseHandshakeLine,
  parseProtocolVersions,
} from './handshake';

describe('the launch handshake', () => {
  it('formats the line the host reads, and parses it back', () => {
    const line = formatHandshakeLine(1, '/tmp/mp-x/plugin.sock');
    expect(line).toBe('MODELPORT-PLUGIN|1|unix|/tmp/mp-x/plugin.sock|grpc');
    expect(parseHandshakeLine(`${line}\r`)).toEqual({ ok: true, protocolVersion: 1, network: 'unix', address: '/tmp/mp-x/plugin.sock', protocol: 'grpc' });
  });

  it('keeps an error line on one line', () => {
    const line = formatHandshakeError('no common version\nhost offers 2');
    expect(line).toBe('MODELPORT-PLUGIN-ERROR|no common version host offers 2');
    expect(parseHandshakeLine(line)).toEqual({ ok: false, message: 'no common version host offers 2' });
  });

  it.each([
    ['hello world', 'not a Modelport handshake'],
    ['MODELPORT-PLUGIN|x|unix|/s|grpc', 'names no protocol version'],
    ['MODELPORT-PLUGIN|1|tcp|127.0.0.1:1|grpc', 'only "unix" is supported'],
    ['MODELPORT-PLUGIN|1|unix||grpc', 'names no socket path'],
    ['MODELPORT-PLUGIN|1|unix|/s|netrpc', 'only "grpc" is supported'],
  ])('refuses %j', (line, message) => {
    expect(() => parseHandshakeLine(line)).toThrow(message);
  });

  it('negotiates the newest common protocol version', () => {
    expect(parseProtocolVersions(' 1, 2 ')).toEqual([1, 2]);
    expect(() => parseProtocolVersions('1,two')).toThrow('MODELPORT_PLUGIN_PROTOCOL_VERSIONS must be a comma-separated list');
    expect(negotiateProtocolVersion([1, 2], [1])).toBe(1);
    expect(negotiateProtocolVersion([1, 2], [2, 1])).toBe(2);
    expect(negotiateProtocolVersion([2, 3], [1])).toBeUndefined();
  });
});
