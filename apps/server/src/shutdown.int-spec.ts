import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { createProject, createUpload, sha256 } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

/** How a fetch to the server ended: its status, or the code of the connection error. */
async function attempt(url: string): Promise<{ status: number; body: unknown } | { error: string }> {
  try {
    const res = await fetch(url);
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? (err as Error).message };
  }
}

/** Whether the promise settles within `ms` milliseconds. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('graceful shutdown', () => {
  describe('with a large upload in flight', () => {
    let t: TestServer;
    let closed: Promise<void>;
    let uploadFinished = false;
    afterAll(async () => {
      // Whatever the outcome, do not leave the test waiting on a kept-alive connection.
      (t?.server.app.getHttpServer() as Server | undefined)?.closeAllConnections();
      await t?.close();
    });

    it('lets the upload finish, refuses new connections, and answers nothing as ready meanwhile', async () => {
      t = await startTestServer();
      const projectId = await createProject(t, 'shutdown');
      const bytes = randomBytes(512 * 1024);
      const slot = await createUpload(t, projectId, bytes);
      expect(slot.url.startsWith(t.url)).toBe(true);

      // The body sends its first half, then waits until the test lets it continue.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.subarray(0, bytes.length / 2));
        },
        async pull(controller) {
          await gate;
          controller.enqueue(bytes.subarray(bytes.length / 2));
          controller.close();
        },
      });
      const httpServer = t.server.app.getHttpServer() as Server;
      const uploadArrived = new Promise<void>((resolve) => {
        const onRequest = (req: IncomingMessage) => {
          if (req.method === 'PUT' && req.url?.includes(slot.id)) {
            httpServer.off('request', onRequest);
            resolve();
          }
        };
        httpServer.on('request', onRequest);
      });
      const upload = fetch(slot.url, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${t.adminToken}` },
        body,
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
      await uploadArrived;

      closed = t.server.close();
      expect(t.server.runtime.shutdown.draining).toBe(true);

      // Until the listener is gone, anything that still gets an answer must not be told "ready".
      const answers: unknown[] = [];
      const deadline = Date.now() + 10_000;
      let refused = false;
      while (!refused && Date.now() < deadline) {
        const result = await attempt(`${t.url}/readyz`);
        if ('error' in result) refused = result.error === 'ECONNREFUSED';
        else answers.push(result);
      }
      expect(refused).toBe(true);
      for (const answer of answers) expect(answer).toMatchObject({ status: 503 });

      // The upload is still running, so the server has not finished closing.
      expect(await settledWithin(closed, 200)).toBe(false);

      release();
      const res = await upload;
      uploadFinished = true;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: slot.id, status: 'RECEIVED', sizeBytes: bytes.length, sha256: sha256(bytes) });
      const rows: { status: string }[] = await t.db.dataSource.query('SELECT status FROM artifact_uploads WHERE id = $1', [slot.id]);
      expect(rows).toEqual([{ status: 'RECEIVED' }]);
    });

    it('finishes closing soon after the last in-flight response, though the client keeps its connection alive', async () => {
      expect(uploadFinished).toBe(true);
      // Well within MODELPORT_SHUTDOWN_TIMEOUT_MS (10 s), after which main.ts gives up and exits with an error.
      // (No request here: one sent on the kept-alive connection would be answered 503 with Connection: close and end it.)
      expect(await settledWithin(closed, 5000)).toBe(true);
      expect(await attempt(`${t.url}/healthz`)).toEqual({ error: 'ECONNREFUSED' });
      // Closing again is harmless.
      await expect(t.server.close()).resolves.toBeUndefined();
    });
  });

  describe('readiness while draining', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer();
    });
    afterAll(() => t?.close());

    it('/readyz reports draining with a 503 once shutdown has begun, while /healthz stays live', async () => {
      expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
      // What close() does first, held here so that the server stays up to be asked.
      t.server.runtime.shutdown.draining = true;
      const res = await fetch(`${t.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', checks: { shutdown: 'draining', database: 'ok', artifactStore: 'ok' } });
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    });
  });
});
