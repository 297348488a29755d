import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { HANDSHAKE_ENV, parseHandshakeLine, SUPPORTED_PROTOCOL_VERSIONS } from '../handshake';
import { processEnvironment } from '../serve-settings';

export interface LaunchOptions {
  /** How long the plugin has to print its handshake line. Default 30 s. */
  readonly handshakeTimeoutMs?: number;
  /** Protocol versions offered. Default: the ones this SDK speaks. */
  readonly protocolVersions?: readonly number[];
  readonly cwd?: string;
  /** Every line the plugin writes after the handshake (stdout) and on stderr. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface PluginExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A plugin process the kit started, after a successful handshake. */
export interface LaunchedPlugin {
  /** gRPC target: `unix:<socket path>`. */
  readonly address: string;
  readonly secret: string;
  readonly protocolVersion: number;
  readonly socketPath: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<PluginExitStatus>;
  /**
   * SIGTERM, then SIGKILL if still running after graceMs (default 10 s);
   * removes the socket folder. `killed` tells whether SIGKILL was needed.
   */
  stop(graceMs?: number): Promise<PluginExitStatus & { killed: boolean }>;
}

const STDERR_TAIL_LINES = 20;

/**
 * The host side of the local launch handshake: starts `command args` with
 * MODELPORT_PLUGIN_PROTOCOL_VERSIONS, MODELPORT_PLUGIN_SOCKET (in a fresh
 * private folder) and a one-time MODELPORT_PLUGIN_SECRET, and reads the first
 * stdout line. Rejects, with the plugin's last stderr lines and the child
 * killed, when the line does not come in time, is malformed, is an error line
 * or the process exits first.
 */
export async function launchLocalPlugin(
  command: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string | undefined>> = {},
  options: LaunchOptions = {},
): Promise<LaunchedPlugin> {
  const timeoutMs = options.handshakeTimeoutMs ?? 30_000;
  const offered = options.protocolVersions ?? SUPPORTED_PROTOCOL_VERSIONS;
  const dir = mkdtempSync(join(tmpdir(), 'mp-plugin-'));
  const socketPath = join(dir, 'plugin.sock');
  const secret = randomBytes(32).toString('base64url');
  const removeDir = () => rmSync(dir, { recursive: true, force: true });

  let child: ChildProcess;
  try {
    child = spawn(command, [...args], {
      cwd: options.cwd,
      env: {
        ...processEnvironment(),
        ...env,
        [HANDSHAKE_ENV.protocolVersions]: offered.join(','),
        [HANDSHAKE_ENV.socket]: socketPath,
        [HANDSHAKE_ENV.secret]: secret,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    removeDir();
    throw new Error(`could not start plugin command "${command}": ${(err as Error).message}`);
  }

  const exited = new Promise<PluginExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A command that could not be spawned emits 'error' and never 'exit'.
    child.once('error', () => child.pid === undefined && resolve({ code: null, signal: null }));
  });
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    options.onOutput?.('stderr', line);
  });
  const tail = () => (stderrTail.length > 0 ? `\nlast stderr lines:\n  ${stderrTail.join('\n  ')}` : ' (it wrote nothing on stderr)');
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };

  const firstLine = new Promise<string>((resolve, reject) => {
    let seen = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (seen) return options.onOutput?.('stdout', line);
      seen = true;
      resolve(line);
    });
    child.once('error', (err) => reject(new Error(`could not start plugin command "${command}": ${err.message}`)));
    void exited.then(({ code, signal }) => {
      // Let a line written just before exiting win over the exit.
      setImmediate(() => reject(new Error(`the plugin exited (${signal ?? `code ${code}`}) before printing its handshake line${tail()}`)));
    });
  });

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the plugin did not print its handshake line within ${timeoutMs} ms, so it was killed${tail()}`)),
      timeoutMs,
    );
  });

  let line: string;
  try {
    line = await Promise.race([firstLine, timeout]);
  } catch (err) {
    await kill();
    removeDir();
    throw err;
  } finally {
    clearTimeout(timer);
  }

  let fail: string | undefined;
  let protocolVersion = 0;
  try {
    const answer = parseHandshakeLine(line);
    if (!answer.ok) fail = `the plugin refused to start: ${answer.message}`;
    else if (!offered.includes(answer.protocolVersion)) {
      fail = `the plugin answered protocol version ${answer.protocolVersion}, which was not offered (${offered.join(', ')})`;
    } else if (answer.address !== socketPath) {
      fail = `the plugin listens on ${answer.address}, not on the socket it was given (${socketPath})`;
    } else protocolVersion = answer.protocolVersion;
  } catch (err) {
    fail = (err as Error).message;
  }
  if (fail !== undefined) {
    await kill();
    removeDir();
    throw new Error(`${fail}${tail()}`);
  }

  let stopping: Promise<PluginExitStatus & { killed: boolean }> | undefined;
  return {
    address: `unix:${socketPath}`,
    secret,
    protocolVersion,
    socketPath,
    child,
    exited,
    stop: (graceMs = 10_000) =>
      (stopping ??= (async () => {
        let killed = false;
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
          if ((await Promise.race([exited, late])) === 'late') {
            killed = true;
            child.kill('SIGKILL');
          }
          clearTimeout(timer);
        }
        const status = await exited;
        removeDir();
        return { ...status, killed };
      })()),
  };
}
