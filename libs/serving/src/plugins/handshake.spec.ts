import { parseHandshake } from './handshake';

describe('parseHandshake', () => {
  it('accepts a unix handshake in a supported version and gives the gRPC target', () => {
    expect(parseHandshake('MODELPORT-PLUGIN|1|unix|/tmp/x/p1.sock|grpc', [1])).toEqual({
      ok: true,
      protocolVersion: 1,
      network: 'unix',
      address: '/tmp/x/p1.sock',
      target: 'unix:/tmp/x/p1.sock',
    });
  });

  it('accepts a tcp handshake and a trailing carriage return', () => {
    expect(parseHandshake('MODELPORT-PLUGIN|1|tcp|127.0.0.1:7001|grpc\r', [1])).toMatchObject({ ok: true, target: '127.0.0.1:7001' });
  });

  it('reports the plugin error line with its message', () => {
    expect(parseHandshake('MODELPORT-PLUGIN-ERROR|cannot open GPU', [1])).toEqual({ ok: false, error: 'the plugin reported an error: cannot open GPU' });
  });

  it.each([
    ['a version the host does not speak', 'MODELPORT-PLUGIN|2|unix|/tmp/s|grpc', /protocol version "2", but the host speaks 1/],
    ['a non-numeric version', 'MODELPORT-PLUGIN|one|unix|/tmp/s|grpc', /protocol version "one"/],
    ['another protocol', 'MODELPORT-PLUGIN|1|unix|/tmp/s|netrpc', /only "grpc"/],
    ['a relative socket path', 'MODELPORT-PLUGIN|1|unix|s.sock|grpc', /not an absolute path/],
    ['an unknown network', 'MODELPORT-PLUGIN|1|udp|/tmp/s|grpc', /network "udp"/],
    ['a tcp address without port', 'MODELPORT-PLUGIN|1|tcp|localhost|grpc', /not host:port/],
    ['log output before the handshake', 'Starting runtime v3...', /first stdout line was "Starting runtime v3\.\.\."/],
    ['too few fields', 'MODELPORT-PLUGIN|1|unix|/tmp/s', /not "MODELPORT-PLUGIN\|<protocol version>/],
  ])('refuses %s with a message saying what was expected', (_case, line, error) => {
    const result = parseHandshake(line, [1]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(error);
  });

  it('shortens a long unexpected line in the message', () => {
    const result = parseHandshake('x'.repeat(5000), [1]);
    expect(!result.ok && result.error.length).toBeLessThan(500);
  });
});
