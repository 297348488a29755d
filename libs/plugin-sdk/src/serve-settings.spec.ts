import { resolveListenSettings, resolveLogLevel } from './serve-settings';

const LOCAL_ENV = { MODELPORT_PLUGIN_PROTOCOL_VERSIONS: '1', MODELPORT_PLUGIN_SOCKET: '/tmp/p.sock', MODELPORT_PLUGIN_SECRET: 's3cret' };

describe('resolveListenSettings', () => {
  it('reads the local handshake environment', () => {
    expect(resolveListenSettings({}, LOCAL_ENV)).toEqual({ mode: 'local', socketPath: '/tmp/p.sock', secret: 's3cret', protocolVersion: 1 });
  });

  it('refuses when the host offers no version the SDK speaks', () => {
    expect(resolveListenSettings({}, { ...LOCAL_ENV, MODELPORT_PLUGIN_PROTOCOL_VERSIONS: '2,3' })).toEqual({
      mode: 'refused',
      message: 'the host offers plugin protocol version(s) 2, 3, this plugin speaks 1',
    });
  });

  it('names every missing handshake variable', () => {
    expect(() => resolveListenSettings({}, { MODELPORT_PLUGIN_SOCKET: '/tmp/p.sock' })).toThrow(
      'MODELPORT_PLUGIN_SECRET is required in local mode (the host sets it together with MODELPORT_PLUGIN_SOCKET); MODELPORT_PLUGIN_PROTOCOL_VERSIONS is required in local mode',
    );
  });

  it('lets options win over the environment', () => {
    expect(resolveListenSettings({ socketPath: '/other.sock', secret: 'opt' }, LOCAL_ENV)).toMatchObject({ socketPath: '/other.sock', secret: 'opt' });
    const remote = resolveListenSettings(
      { listen: '127.0.0.1:0', registrationToken: 'from-options' },
      { ...LOCAL_ENV, MODELPORT_REGISTRY_ADDRESS: 'core:9090', MODELPORT_REGISTRATION_TOKEN: 'from-env', MODELPORT_PLUGIN_ADVERTISE: 'plugin:9000' },
    );
    expect(remote).toMatchObject({ mode: 'tcp', listen: '127.0.0.1:0', advertise: 'plugin:9000', registry: { address: 'core:9090', token: 'from-options' } });
  });

  it('generates a random call secret in remote mode', () => {
    const env = { MODELPORT_PLUGIN_LISTEN: '0.0.0.0:9000', MODELPORT_PLUGIN_ADVERTISE: 'plugin.internal:9000' };
    const a = resolveListenSettings({}, env);
    const b = resolveListenSettings({}, env);
    expect(a.mode === 'tcp' && b.mode === 'tcp' && a.secret !== b.secret && a.secret.length >= 40).toBe(true);
  });

  it('explains what to set when there is nowhere to listen', () => {
    expect(() => resolveListenSettings({}, {})).toThrow('nowhere to listen');
  });

  it('names every bad remote setting', () => {
    expect(() =>
      resolveListenSettings({}, { MODELPORT_PLUGIN_LISTEN: '0.0.0.0:9000', MODELPORT_REGISTRY_ADDRESS: 'core:9090' }),
    ).toThrow(
      'MODELPORT_REGISTRATION_TOKEN is required when MODELPORT_REGISTRY_ADDRESS is set; MODELPORT_PLUGIN_ADVERTISE is required when listening on a wildcard address (0.0.0.0:9000)',
    );
    expect(() => resolveListenSettings({ listen: 'nine-thousand' }, {})).toThrow('MODELPORT_PLUGIN_LISTEN must be host:port');
  });
});

describe('resolveLogLevel', () => {
  it('reads MODELPORT_PLUGIN_LOG_LEVEL, defaulting to info', () => {
    expect(resolveLogLevel({ MODELPORT_PLUGIN_LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(resolveLogLevel({ MODELPORT_PLUGIN_LOG_LEVEL: 'loud' })).toBe('info');
    expect(resolveLogLevel({})).toBe('info');
  });
});
