import * as grpc from '@grpc/grpc-js';
import { ModelportError } from '@modelport/errors';
import { silentLogger } from '@modelport/observability';
import { type PluginInfo, type PluginRegistryClient, pluginProto, type RegisterRequest, type RegisterResponse__Output } from '@modelport/proto';
import { PluginHost } from './plugin-host';
import { PluginHostErrorCode } from './plugin-host.errors';
import { PluginRegistryService, type RemotePluginRegistration } from './plugin-registry.service';
import { capturingLogger, eventually } from './testing/capturing-logger';
import { type FakePlugin, startFakePlugin } from './testing/fake-plugin';

const CALL_SECRET = 'remote-call-secret-0123456789';
const TOKENS: Record<string, { id: string } | 'forbidden'> = { 'good-token': { id: 'team-a' }, 'other-token': { id: 'team-b' }, 'viewer-token': 'forbidden' };

describe('PluginRegistryService on a real grpc.Server on loopback', () => {
  let server: grpc.Server;
  let registry: PluginRegistryService;
  let host: PluginHost;
  let client: PluginRegistryClient;
  let plugin: FakePlugin;
  const lines = capturingLogger();

  const call = <T>(method: 'Register' | 'Heartbeat' | 'Deregister', request: object): Promise<T> =>
    new Promise((resolve, reject) =>
      (client[method] as unknown as (r: object, cb: (e: grpc.ServiceError | null, res: T) => void) => void).call(client, request, (err, res) => (err ? reject(err) : resolve(res))),
    );
  const registerRequest = (over: Partial<RegisterRequest> = {}, info: Partial<PluginInfo> = {}): RegisterRequest => ({
    registration_token: 'good-token',
    address: plugin.address,
    call_secret: CALL_SECRET,
    info: { ...plugin.info, ...info },
    ...over,
  });

  beforeAll(async () => {
    plugin = await startFakePlugin('127.0.0.1:0', { secret: CALL_SECRET, id: 'remote-fake', formats: [{ name: 'fake', priority: 2 }] });
    registry = new PluginRegistryService({
      logger: lines.logger,
      heartbeatIntervalMs: 100,
      leaseMs: 300,
      removeAfterMs: 1_000,
      authorize: async (token) => {
        const principal = TOKENS[token];
        if (principal === 'forbidden') throw new ModelportError('FORBIDDEN', 'FORBIDDEN', 'This token may not register plugins.');
        return principal ?? null;
      },
    });
    host = new PluginHost({ logger: silentLogger(), registry });
    await host.start();
    server = new grpc.Server();
    registry.addTo(server);
    const port = await new Promise<number>((ok, fail) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
    client = new (pluginProto().modelport.plugin.v1.PluginRegistry)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await host.close();
    registry.close();
    server.forceShutdown();
    await plugin.close();
  });

  it('refuses a missing or unknown token with UNAUTHENTICATED and a forbidden one with PERMISSION_DENIED', async () => {
    await expect(call('Register', registerRequest({ registration_token: '' }))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: 'A registration token is required (registration_token).',
    });
    await expect(call('Register', registerRequest({ registration_token: 'stolen' }))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: 'The registration token is not valid (unknown, revoked or expired).',
    });
    await expect(call('Register', registerRequest({ registration_token: 'viewer-token' }))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: 'This token may not register plugins.',
    });
    expect(host.list()).toEqual([]);
  });

  it('refuses an invalid request with INVALID_ARGUMENT naming each problem', async () => {
    const err = await call('Register', registerRequest({ address: '0.0.0.0:7001' }, { protocol_version: 9, formats: [] })).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect((err as grpc.ServiceError).details).toMatch(/^Registration rejected: address "0\.0\.0\.0:7001" is a listen-on-all address.*; info.protocol_version 9 is not supported; this core speaks 1; info.formats must name at least one model format\.$/);
  });

  it('calls back and refuses info that does not match GetInfo, a wrong call secret, or an address nobody listens on', async () => {
    await expect(call('Register', registerRequest({}, { version: '9.9.9' }))).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'The registered info does not match what the plugin answers in GetInfo: version: registered "9.9.9", GetInfo answered "0.0.1".',
    });
    const wrongSecret = await call('Register', registerRequest({ call_secret: 'x'.repeat(20) })).catch((e: grpc.ServiceError) => e);
    expect(wrongSecret).toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
    expect((wrongSecret as grpc.ServiceError).details).toMatch(/could not confirm the plugin at 127\.0\.0\.1:\d+ with GetInfo: .*UNAUTHENTICATED/);
    await expect(call('Register', registerRequest({ address: '127.0.0.1:1' }))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(host.list()).toEqual([]);
  });

  it('registers with a good token; the plugin joins the host directory, serves, heartbeats, expires, comes back and deregisters', async () => {
    const response = await call<RegisterResponse__Output>('Register', registerRequest());
    expect(response).toEqual({ registration_id: expect.stringMatching(/^reg_[0-9a-f]{32}$/), heartbeat_interval_ms: 100, lease_ms: 300 });
    const id = response.registration_id;

    await eventually(() => host.list().length === 1, 'the remote plugin in the directory');
    expect(host.get('remote-fake')).toMatchObject({
      kind: 'remote',
      id: 'remote-fake',
      health: 'SERVING',
      address: plugin.address,
      registrationId: id,
      formats: [{ name: 'fake', priority: 2 }],
      pid: null,
    });
    const chosen = host.choose('fake');
    expect(chosen.name).toBe('remote-fake');
    await host.loadModel('remote-fake', { model_key: 'r1', artifact: { sha256: 'd'.repeat(64) } });
    const echoed = await chosen.connection.infer({ model_name: 'r1', inputs: [{ name: 'x', datatype: 'BOOL', shape: [1], contents: { bool_contents: [true] } }] });
    expect(echoed.outputs[0]!.contents!.bool_contents).toEqual([true]);

    // Heartbeats keep it healthy; another principal may not heartbeat for it; an unknown id is not known.
    for (let i = 0; i < 5; i++) {
      expect(await call('Heartbeat', { registration_id: id, registration_token: 'good-token' })).toEqual({ known: true });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(host.get('remote-fake').health).toBe('SERVING');
    await expect(call('Heartbeat', { registration_id: id, registration_token: 'other-token' })).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    await expect(call('Heartbeat', { registration_id: id, registration_token: 'bad' })).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(await call('Heartbeat', { registration_id: 'reg_unknown', registration_token: 'good-token' })).toEqual({ known: false });

    // Its own health check says NOT_SERVING: the host stops choosing it.
    plugin.health.setStatus('', 'NOT_SERVING');
    await host.checkHealth();
    expect(host.get('remote-fake').health).toBe('NOT_SERVING');
    expect(() => host.choose('fake')).toThrow(expect.objectContaining({ code: PluginHostErrorCode.PLUGIN_UNAVAILABLE }));
    plugin.health.setStatus('', 'SERVING');
    await host.checkHealth();
    expect(host.get('remote-fake').health).toBe('SERVING');

    // No heartbeat for longer than the lease: unhealthy. A heartbeat brings it back.
    const expired = new Promise<RemotePluginRegistration>((r) => registry.once('expired', r));
    expect(await call('Heartbeat', { registration_id: id, registration_token: 'good-token' })).toEqual({ known: true });
    expect(host.get('remote-fake').health).toBe('SERVING');
    await expired;
    expect(host.get('remote-fake').health).toBe('NOT_SERVING');
    expect(() => host.choose('fake')).toThrow('No plugin serving model format "fake" is healthy right now: remote-fake (NOT_SERVING).');
    expect(lines.lines).toContainEqual(expect.objectContaining({ plugin: 'remote-fake', msg: 'remote plugin missed its lease; marked unhealthy' }));
    expect(await call('Heartbeat', { registration_id: id, registration_token: 'good-token' })).toEqual({ known: true });
    expect(host.get('remote-fake').health).toBe('SERVING');

    // Another principal may not deregister it; its owner may, and it leaves the directory.
    await expect(call('Deregister', { registration_id: id, registration_token: 'other-token' })).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect(await call('Deregister', { registration_id: id, registration_token: 'good-token' })).toEqual({});
    expect(host.list()).toEqual([]);
    expect(registry.get(id)).toBeUndefined();
    // Deregistering again is harmless; heartbeats now say "register again".
    expect(await call('Deregister', { registration_id: id, registration_token: 'good-token' })).toEqual({});
    expect(await call('Heartbeat', { registration_id: id, registration_token: 'good-token' })).toEqual({ known: false });
  });

  it('replaces a registration when the plugin registers again and loads its models on it again', async () => {
    const first = await call<RegisterResponse__Output>('Register', registerRequest());
    await host.loadModel('remote-fake', { model_key: 'keep-me', artifact: { sha256: 'e'.repeat(64) } });
    plugin.models.clear(); // as if the plugin process restarted and lost its models
    const reloaded = new Promise((r) => host.once('models-reloaded', r));
    const second = await call<RegisterResponse__Output>('Register', registerRequest());
    expect(second.registration_id).not.toBe(first.registration_id);
    expect(await reloaded).toEqual({ plugin: 'remote-fake', reloaded: ['keep-me'], failed: [] });
    expect([...plugin.models.keys()]).toEqual(['keep-me']);
    expect(registry.list().map((r) => r.id)).toEqual([second.registration_id]);
    expect(host.get('remote-fake').registrationId).toBe(second.registration_id);
    expect(await call('Heartbeat', { registration_id: first.registration_id, registration_token: 'good-token' })).toEqual({ known: false });

    // Another principal may not take the plugin id over.
    await expect(call('Register', registerRequest({ registration_token: 'other-token' }))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: 'plugin id "remote-fake" belongs to another principal; use the registration token it was registered with.',
    });
  });

  it('removes a registration that stays silent much longer than the lease', async () => {
    expect(host.list()).toHaveLength(1);
    const removed = new Promise<string>((r) => registry.once('removed', (_reg, reason) => r(reason)));
    expect(await removed).toBe('lease-expired');
    expect(host.list()).toEqual([]);
    expect(registry.list()).toEqual([]);
  });
});
