import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmptyDatabase } from '@modelport/testing';
import type { Cleanups } from './cleanups';

export interface BuiltServer {
  readonly url: string;
  readonly pid: number;
  readonly database: string;
  readonly databaseUrl: string;
  readonly warnings: { count: number; first?: string };
}

/**
 * The built server (dist/) on a fresh database named after `name`, with the built-in plugins (ONNX Runtime as its
 * own process) and `token` as the bootstrap admin's; resolves once it listens and serving is ready. Stopping it,
 * dropping the database and removing its directory go into `cleanups`.
 */
export async function startBuiltServer(root: string, name: string, token: string, cleanups: Cleanups): Promise<BuiltServer> {
  const scratch = await createEmptyDatabase(`mp_bench_${name}`);
  const dir = mkdtempSync(join(tmpdir(), `modelport-bench-${name}-`));
  cleanups.push(async () => {
    rmSync(dir, { recursive: true, force: true });
    await scratch.drop();
  });
  chmodSync(dir, 0o755);
  const child: ChildProcess = spawn(process.execPath, [join(root, 'dist/apps/server/src/main.js')], {
    cwd: dir,
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      DATABASE_URL: scratch.url,
      MODELPORT_DATA_DIR: dir,
      MODELPORT_PORT: '0',
      MODELPORT_GRPC_PORT: '0',
      MODELPORT_BOOTSTRAP_TOKEN: token,
      MODELPORT_PLUGINS: 'builtin',
      MODELPORT_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => stopChild(child));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const found: { url?: string; serving?: boolean } = {};
  const warnings: { count: number; first?: string } = { count: 0 };
  const early: string[] = [];
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const raw of parts) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (line['msg'] === 'Modelport server listening') found.url = line['url'] as string;
      else if (line['msg'] === 'serving ready') found.serving = true;
      if (!found.url || !found.serving) early.push(raw);
      if (typeof line['level'] === 'number' && line['level'] >= 40) {
        warnings.count++;
        warnings.first ??= String(line['msg']);
      }
    }
  });
  await new Promise<void>((ok, fail) => {
    const deadline = Date.now() + 90_000;
    const timer = setInterval(() => {
      if (found.url && found.serving) {
        clearInterval(timer);
        ok();
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(timer);
        child.kill('SIGKILL');
        fail(new Error(`the Modelport server did not start:\n${stderr}\n${early.slice(-20).join('\n')}`));
      }
    }, 50);
  });
  return { url: found.url!, pid: child.pid!, database: scratch.name, databaseUrl: scratch.url, warnings };
}


async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}
