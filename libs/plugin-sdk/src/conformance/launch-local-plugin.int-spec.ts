import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchLocalPlugin } from './launch-local-plugin';

/** A plugin process written inline: `node -e <script>`. */
const node = (script: string) => [process.execPath, ['-e', script]] as const;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('launchLocalPlugin (the host side of the handshake)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mp-launch-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects a plugin that never prints its handshake after the timeout, and kills it', async () => {
    const pidFile = join(dir, 'pid');
    const [cmd, args] = node(
      `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); console.error('warming up forever'); setInterval(() => {}, 1000);`,
    );
    const started = Date.now();
    await expect(launchLocalPlugin(cmd, args, {}, { handshakeTimeoutMs: 700 })).rejects.toThrow(
      'the plugin did not print its handshake line within 700 ms, so it was killed\nlast stderr lines:\n  warming up forever',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isRunning(pid)).toBe(false);
  });

  it('hands the plugin the handshake environment, returns its address and forwards later output', async () => {
    const seen = join(dir, 'env.json');
    const [cmd, args] = node(`
      const fs = require('fs');
      const env = process.env;
      fs.writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ v: env.MODELPORT_PLUGIN_PROTOCOL_VERSIONS, s: env.MODELPORT_PLUGIN_SOCKET, secret: env.MODELPORT_PLUGIN_SECRET, extra: env.EXTRA }));
      const server = require('net').createServer().listen(env.MODELPORT_PLUGIN_SOCKET, () => {
        process.stdout.write('MODELPORT-PLUGIN|1|unix|' + env.MODELPORT_PLUGIN_SOCKET + '|grpc\\n');
        console.log('later stdout is log');
      });
      process.on('SIGTERM', () => server.close(() => process.exit(0)));
    `);
    const output: string[] = [];
    const plugin = await launchLocalPlugin(cmd, args, { EXTRA: 'yes' }, { onOutput: (stream, line) => output.push(`${stream}: ${line}`) });
    const env = JSON.parse(readFileSync(seen, 'utf8'));
    expect(env).toEqual({ v: '1', s: plugin.socketPath, secret: plugin.secret, extra: 'yes' });
    expect(plugin.address).toBe(`unix:${plugin.socketPath}`);
    expect(plugin.secret.length).toBeGreaterThanOrEqual(40);
    expect(plugin.protocolVersion).toBe(1);
    const stopped = await plugin.stop(5_000);
    expect(stopped).toEqual({ code: 0, signal: null, killed: false });
    expect(output).toContain('stdout: later stdout is log');
    expect(existsSync(plugin.socketPath)).toBe(false);
  });

  it('kills a plugin that ignores SIGTERM after the grace period', async () => {
    const [cmd, args] = node(`
      process.on('SIGTERM', () => {});
      process.stdout.write('MODELPORT-PLUGIN|1|unix|' + process.env.MODELPORT_PLUGIN_SOCKET + '|grpc\\n');
      setInterval(() => {}, 1000);
    `);
    const plugin = await launchLocalPlugin(cmd, args);
    expect(await plugin.stop(300)).toEqual({ code: null, signal: 'SIGKILL', killed: true });
  });

  it.each([
    ['an error line', `console.log('MODELPORT-PLUGIN-ERROR|needs a GPU'); process.exit(1)`, 'the plugin refused to start: needs a GPU'],
    ['a line that is not a handshake', `console.log('Starting server on port 8080...'); setInterval(() => {}, 1000)`, 'is not a Modelport handshake'],
    [
      'an unoffered protocol version',
      `console.log('MODELPORT-PLUGIN|9|unix|' + process.env.MODELPORT_PLUGIN_SOCKET + '|grpc'); setInterval(() => {}, 1000)`,
      'the plugin answered protocol version 9, which was not offered (1)',
    ],
    ['another socket', `console.log('MODELPORT-PLUGIN|1|unix|/tmp/elsewhere.sock|grpc'); setInterval(() => {}, 1000)`, 'not on the socket it was given'],
    ['an exit before the handshake', `console.error('cannot find libonnxruntime.so'); process.exit(3)`, 'the plugin exited (code 3) before printing its handshake line\nlast stderr lines:\n  cannot find libonnxruntime.so'],
  ])('rejects %s with a clear message', async (_what, script, message) => {
    const [cmd, args] = node(script);
    await expect(launchLocalPlugin(cmd, args, {}, { handshakeTimeoutMs: 10_000 })).rejects.toThrow(message);
  });

  it('rejects a command that does not exist', async () => {
    await expect(launchLocalPlugin(join(dir, 'no-such-plugin'), [])).rejects.toThrow(/could not start plugin command ".*no-such-plugin": spawn .* ENOENT/);
  });
});
