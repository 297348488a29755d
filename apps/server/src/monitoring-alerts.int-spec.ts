import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { HealthRollupWriter, verifyWebhook, SIGNATURE_HEADER } from '@modelport/monitoring';
import { linearRegressionModel } from '@modelport/sample-models';
import { ServingRuntime } from '@modelport/serving';
import { createMember, createModel, createProject, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const root = resolve(__dirname, '..', '..', '..');

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A webhook receiver on loopback that answers with the scripted statuses, then 200. */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = statuses[received.length - 1] ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/modelport`, received, close: () => new Promise((r) => server.close(() => r())) };
}

describe('alerts: rules, hysteresis, the owners inbox and signed webhooks with retries', () => {
  let t: TestServer;
  let projectId: string;
  let owner: { userId: string; token: string };

  const infer = (name: string, good: boolean) =>
    fetch(`${t.url}/v2/models/${name}/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, good ? 4 : 3], data: good ? [1, 2, 3, 4] : [1, 2, 3] }] }),
    }).then((r) => r.status);
  const evaluate = async () => {
    await t.server.app.get(ServingRuntime).writer.flush();
    // Rules on service health read the rollups, which follow the log by one write.
    await t.server.app.get(HealthRollupWriter).flush();
    return (await t.ok<{ evaluateAlertsNow: number }>(`mutation { evaluateAlertsNow }`)).evaluateAlertsNow;
  };
  const deliveries = async (channelId: string) =>
    (await t.ok<{ webhookDeliveries: { status: string; attempts: number; lastStatusCode: number | null; lastError: string | null; event: string }[] }>(
      `query($c: ID!) { webhookDeliveries(channelId: $c) { status attempts lastStatusCode lastError event } }`,
      { c: channelId },
    )).webhookDeliveries;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    const plugins = [{ name: 'echo', command: process.execPath, args: [join(root, 'dist/libs/serving/src/plugins/testing/fake-plugin.js')], env: { FAKE_PLUGIN_FORMAT: 'onnx' } }];
    // Jobs (the evaluation, and webhook retries with their backoff delays) go through BullMQ on the real Redis.
    t = await startTestServer({ queue: 'redis', env: { MODELPORT_PLUGINS: JSON.stringify(plugins) } });
    projectId = await createProject(t, 'alerting');
    owner = await createMember(t, projectId, 'model-owner', 'ML_ENGINEER');
    const modelId = await createModel(t, projectId, 'churn', owner.token);
    expect((await uploadAndRegister(t, projectId, modelId, Buffer.from(linearRegressionModel()))).errors).toBeUndefined();
    await t.ok(`mutation($p: ID!, $m: ID!) { createDeployment(input: { projectId: $p, name: "churn-live", modelId: $m, version: 1 }) { state } }`, { p: projectId, m: modelId });
  }, 120_000);

  afterAll(() => t?.close());

  it('fires once on a high error rate, notifies the owner and a signed webhook (retried after a 500), and resolves', async () => {
    const hook = await receiver([500]);
    try {
      const { createNotificationChannel: ch } = await t.ok<{ createNotificationChannel: { channel: { id: string }; secret: string } }>(
        `mutation($p: ID!, $u: String!) { createNotificationChannel(input: { projectId: $p, name: "oncall", url: $u }) { channel { id } secret } }`,
        { p: projectId, u: hook.url },
      );
      const { deployments } = await t.ok<{ deployments: { nodes: { id: string }[] } }>(`query($p: ID) { deployments(projectId: $p, first: 1) { nodes { id } } }`, { p: projectId });
      const deploymentId = deployments.nodes[0]!.id;
      await t.ok(
        `mutation($d: ID!, $c: [ID!]) { createAlertRule(input: { deploymentId: $d, kind: "ERROR_RATE", threshold: 0.2, windowMinutes: 5, channelIds: $c }) { id state } }`,
        { d: deploymentId, c: [ch.channel.id] },
      );
      for (let i = 0; i < 4; i++) expect(await infer('churn-live', true)).toBe(200);
      for (let i = 0; i < 2; i++) expect(await infer('churn-live', false)).toBe(400);
      expect(await evaluate()).toBe(1);

      const open = await t.ok<{ alerts: { kind: string; openedValue: number; resolvedAt: string | null }[] }>(`query($d: ID!) { alerts(deploymentId: $d, openOnly: true) { kind openedValue resolvedAt } }`, { d: deploymentId });
      expect(open.alerts).toEqual([{ kind: 'ERROR_RATE', openedValue: 2 / 6, resolvedAt: null }]);
      // Still breaching: no second alert, no second delivery.
      expect(await evaluate()).toBe(1);
      expect((await t.ok<{ alerts: unknown[] }>(`query($d: ID!) { alerts(deploymentId: $d) { id } }`, { d: deploymentId })).alerts).toHaveLength(1);

      // The webhook: the first try gets a 500, the second (after the backoff) is delivered.
      for (let i = 0; i < 100 && (await deliveries(ch.channel.id))[0]?.status !== 'DELIVERED'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await deliveries(ch.channel.id)).toEqual([{ status: 'DELIVERED', attempts: 2, lastStatusCode: 200, lastError: null, event: 'alert.fired' }]);
      expect(hook.received).toHaveLength(2);
      const last = hook.received[1]!;
      expect(verifyWebhook(ch.secret, String(last.headers[SIGNATURE_HEADER]), last.body, Math.floor(Date.now() / 1000))).toBe(true);
      expect(verifyWebhook('whsec_wrong', String(last.headers[SIGNATURE_HEADER]), last.body, Math.floor(Date.now() / 1000))).toBe(false);
      expect(JSON.parse(last.body)).toMatchObject({ event: 'alert.fired', rule: { kind: 'ERROR_RATE', threshold: 0.2 }, deployment: { name: 'churn-live' }, model: { name: 'churn' } });

      // The model's owner hears of it in their inbox without configuring anything.
      const inbox = await t.ok<{ myNotifications: { event: string; title: string }[] }>(`{ myNotifications { event title } }`, {}, owner.token);
      expect(inbox.myNotifications).toEqual([{ event: 'alert.fired', title: expect.stringContaining('ERROR_RATE fired on churn-live') }]);

      // Enough good traffic brings the rate under the threshold: resolved, notified once more.
      for (let i = 0; i < 10; i++) expect(await infer('churn-live', true)).toBe(200);
      await evaluate();
      const all = await t.ok<{ alerts: { resolvedAt: string | null }[] }>(`query($d: ID!) { alerts(deploymentId: $d) { resolvedAt } }`, { d: deploymentId });
      expect(all.alerts[0]!.resolvedAt).not.toBeNull();
      const after = await t.ok<{ myNotifications: { event: string }[] }>(`{ myNotifications { event } }`, {}, owner.token);
      expect(after.myNotifications.map((n) => n.event)).toEqual(['alert.resolved', 'alert.fired']);
    } finally {
      await hook.close();
    }
  }, 60_000);

  it('refuses bad rules and channels with a message naming the field, and hides other projects', async () => {
    const bad = await t.gql(`mutation($p: ID!) { createNotificationChannel(input: { projectId: $p, name: "x", url: "http://hooks.example.com/x" }) { secret } }`, { p: projectId });
    expect(bad.errors?.[0]?.message).toMatch(/https:\/\//);
    const { deployments } = await t.ok<{ deployments: { nodes: { id: string }[] } }>(`query($p: ID) { deployments(projectId: $p, first: 1) { nodes { id } } }`, { p: projectId });
    const rule = await t.gql(`mutation($d: ID!) { createAlertRule(input: { deploymentId: $d, kind: "ERROR_RATE", threshold: 7 }) { id } }`, { d: deployments.nodes[0]!.id });
    expect(rule.errors?.[0]).toMatchObject({ message: expect.stringMatching(/share from 0 to 1/), extensions: { code: 'BAD_USER_INPUT' } });
    const stranger = await createMember(t, await createProject(t, 'other-team'), 'stranger', 'ADMIN');
    const hidden = await t.gql(`query($d: ID!) { alertRules(deploymentId: $d) { id } }`, { d: deployments.nodes[0]!.id }, stranger.token);
    expect(hidden.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
