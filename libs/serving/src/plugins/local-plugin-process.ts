import { pluginBaseEnvironment } from '@modelport/config';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '@modelport/observability';
import { PLUGIN_PROTOCOL_VERSION, type PluginInfo__Output } from '@modelport/proto';
import { Backoff, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff';
import { HANDSHAKE_ENV, parseHandshake } from './handshake';
import { PluginConnection, type PluginConnectionOptions } from './plugin-connection';
import { PluginHostError, PluginHostErrorCode } from './plugin-host.errors';
import { forwardPluginLine } from './plugin-output';

/** One local plugin as configured: the command the host runs. */
export interface LocalPluginConfig {
  /** Name in the host (logs, list(), choose()); unique among all plugins. */
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  /** Extra environment for the plugin, on top of the base environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface LocalPluginProcessOptions {
  readonly logger: Logger;
  /** How long the plugin has to print its handshake line (default 30 s). */
  readonly handshakeTimeoutMs?: number;
  /** How long a plugin has to exit after SIGTERM before it gets SIGKILL (default 5 s). */
  readonly stopGraceMs?: number;
  /** Restart backoff; `false` turns supervision off (an exit leaves the plugin down). */
  readonly restart?: Partial<BackoffPolicy> | false;
  /** Protocol versions the host offers (default [PLUGIN_PROTOCOL_VERSION]). */
  readonly protocolVersions?: readonly number[];
  /**
   * The environment every plugin starts from, before its own `env` and the
   * handshake variables. Default: {@link defaultPluginBaseEnv} (PATH, HOME,
   * locale, TMPDIR), so that server secrets are not handed to plugins.
   */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  readonly connection?: PluginConnectionOptions;
}

/**
 * idle: not started; starting: first launch; running: serving; restarting: waiting for or in a
 * relaunch; down: exited or failed with restarts off; stopping/stopped: stop() was called.
 */
export type LocalPluginState = 'idle' | 'starting' | 'running' | 'restarting' | 'down' | 'stopping' | 'stopped';

export interface PluginExit {
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when the exit follows stop(). */
  readonly expected: boolean;
}

export interface LocalPluginProcessEvents {
  /** The first launch succeeded. */
  started: [info: PluginInfo__Output];
  /** A relaunch after an unexpected exit or a failed launch succeeded; reload the plugin's models. */
  restarted: [info: PluginInfo__Output];
  /** The process ended. */
  exited: [exit: PluginExit];
  /** The plugin is down unexpectedly; calls now fail fast with UNAVAILABLE. */
  down: [reason: string];
  /** A launch attempt failed. */
  'launch-failed': [error: PluginHostError];
  /** The next launch attempt is scheduled after `delayMs`. */
  'restart-scheduled': [schedule: { readonly attempt: number; readonly delayMs: number; readonly reason: string }];
}

/** The default base environment of a plugin: the server's PATH, HOME, locale and temp settings only. */
export const defaultPluginBaseEnv = pluginBaseEnvironment;

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `killed by ${signal}`;
  return `exit code ${code ?? 'unknown'}`;
}

const STDERR_TAIL = 10;

/** One OS process of a plugin: spawn, line-by-line output, handshake line, exit. */
class PluginChild {
  readonly process: ChildProcess;
  /** Resolves with the first stdout line; rejects if the process ends or fails to spawn first. */
  readonly firstLine: Promise<string>;
  /** Resolves when the process has ended (or could not be spawned). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error: Error | null }>;
  /** The last stderr lines, for error messages. */
  readonly stderrTail: string[] = [];
  private done = false;

  constructor(config: LocalPluginConfig, env: NodeJS.ProcessEnv, logger: Logger) {
    // stdin stays open as a pipe: a plugin may treat its end as "the host is gone".
    this.process = spawn(config.command, [...(config.args ?? [])], { cwd: config.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const child = this.process;
    const pid = child.pid;
    child.stdin?.on('error', () => undefined); // EPIPE once the plugin is gone
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal, error: null });
      });
      child.once('error', (error) => {
        // Spawn failures (ENOENT, EACCES) end here without an 'exit'.
        if (child.pid === undefined) {
          this.done = true;
          resolve({ code: null, signal: null, error });
        }
      });
    });
    const stderr = createInterface({ input: child.stderr!, crlfDelay: Infinity });
    stderr.on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
      forwardPluginLine(logger, 'stderr', pid, line);
    });
    const stdout = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    this.firstLine = new Promise<string>((resolve, reject) => {
      let first = true;
      stdout.on('line', (line) => {
        if (first) {
          first = false;
          resolve(line);
        } else forwardPluginLine(logger, 'stdout', pid, line);
      });
      void this.exited.then(({ code, signal, error }) => {
        if (first) reject(error ?? new Error(`it exited before the handshake (${describeExit(code, signal)})`));
      });
    });
    this.firstLine.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get alive(): boolean {
    return !this.done;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async terminate(graceMs: number): Promise<void> {
    if (!this.alive) return;
    this.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.process.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }

  /** SIGKILL; resolves once the process has exited. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.process.kill('SIGKILL');
    await this.exited;
  }
}

class LaunchError extends Error {}

/**
 * Launches and supervises one configured local plugin: spawn with the
 * handshake environment, wait for the handshake line (bounded), negotiate the
 * protocol version, connect over the unix socket and confirm with GetInfo.
 * The plugin's stderr (and stdout after the handshake) goes to the logger
 * line by line under `{ plugin: name }`.
 *
 * When the process exits unexpectedly, the connection fails every call at once
 * with UNAVAILABLE, and the plugin is relaunched with exponential backoff
 * ('restarted' tells the owner to reload its models). `stop()` is SIGTERM,
 * a grace period, then SIGKILL.
 */
export class LocalPluginProcess extends EventEmitter<LocalPluginProcessEvents> {
  /** Stable for the plugin's life; re-pointed at each new process. */
  readonly connection: PluginConnection;
  private readonly logger: Logger;
  private readonly handshakeTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly policy: BackoffPolicy | false;
  private readonly backoff: Backoff;
  private readonly versions: readonly number[];
  private readonly baseEnv: Readonly<Record<string, string | undefined>>;
  private current: LocalPluginState = 'idle';
  private child: PluginChild | null = null;
  private socketDir: string | null = null;
  private launches = 0;
  private restartCount = 0;
  private pluginInfo: PluginInfo__Output | null = null;
  private protocol: number | null = null;
  private error: string | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;

  constructor(
    readonly config: LocalPluginConfig,
    options: LocalPluginProcessOptions,
  ) {
    super();
    if (!config.name || !config.command) {
      throw new PluginHostError(PluginHostErrorCode.INVALID_PLUGIN_CONFIG, `A local plugin needs a name and a command (got name ${JSON.stringify(config.name)}).`);
    }
    this.logger = options.logger.child({ plugin: config.name });
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 30_000;
    this.stopGraceMs = options.stopGraceMs ?? 5_000;
    this.policy = options.restart === false ? false : { ...DEFAULT_BACKOFF, ...options.restart };
    this.backoff = new Backoff(this.policy || DEFAULT_BACKOFF);
    this.versions = options.protocolVersions ?? [PLUGIN_PROTOCOL_VERSION];
    this.baseEnv = options.baseEnv ?? defaultPluginBaseEnv();
    this.connection = new PluginConnection(config.name, null, options.connection);
    this.connection.markUnavailable(`plugin "${config.name}" has not started yet`, { abortInFlight: false });
  }

  get name(): string {
    return this.config.name;
  }

  get state(): LocalPluginState {
    return this.current;
  }

  /** The pid of the current process, if one runs. */
  get pid(): number | undefined {
    return this.child?.alive ? this.child.pid : undefined;
  }

  /** What the plugin answered in GetInfo at its last successful launch. */
  get info(): PluginInfo__Output | null {
    return this.pluginInfo;
  }

  /** The protocol version negotiated at the last successful launch. */
  get protocolVersion(): number | null {
    return this.protocol;
  }

  /** How many times the plugin was launched again after an unexpected exit or a failed launch. */
  get restarts(): number {
    return this.restartCount;
  }

  get lastError(): string | null {
    return this.error;
  }

  /**
   * First launch. Resolves with the plugin's info, or rejects with a
   * PLUGIN_LAUNCH_FAILED error; in that case (unless restarts are off) the
   * plugin keeps being relaunched with backoff until it comes up or stop().
   */
  async start(): Promise<PluginInfo__Output> {
    if (this.current !== 'idle') throw new Error(`plugin "${this.name}" was already started`);
    this.current = 'starting';
    this.socketDir = mkdtempSync(join(tmpdir(), 'modelport-plugin-'));
    try {
      const info = await this.launch();
      this.running();
      this.logger.info({ pid: this.pid, id: info.id, version: info.version, protocolVersion: this.protocol }, 'plugin started');
      this.emit('started', info);
      return info;
    } catch (err) {
      const error = this.launchFailed(err);
      throw error;
    }
  }

  /** SIGTERM, up to stopGraceMs for the plugin to exit, then SIGKILL. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.current === 'running';
    this.current = 'stopping';
    this.clearTimers();
    this.connection.markUnavailable(`plugin "${this.name}" is stopping`, { abortInFlight: false });
    const child = this.child;
    if (child?.alive) {
      if (wasRunning) {
        this.logger.info({ pid: child.pid, graceMs: this.stopGraceMs }, 'stopping plugin');
        await child.terminate(this.stopGraceMs);
      } else await child.kill();
    }
    this.connection.close(`plugin "${this.name}" is stopped`);
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
    this.current = 'stopped';
  }

  private async launch(): Promise<PluginInfo__Output> {
    const attempt = ++this.launches;
    const socketPath = join(this.socketDir!, `p${attempt}.sock`);
    rmSync(socketPath, { force: true });
    const secret = randomBytes(32).toString('hex');
    const env: NodeJS.ProcessEnv = {
      ...this.baseEnv,
      ...this.config.env,
      [HANDSHAKE_ENV.protocolVersions]: this.versions.join(','),
      [HANDSHAKE_ENV.socket]: socketPath,
      [HANDSHAKE_ENV.secret]: secret,
    };
    const child = new PluginChild(this.config, env, this.logger);
    this.child = child;
    void child.exited.then(({ code, signal }) => this.onExit(child, code, signal));

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new LaunchError(
              `it did not answer the handshake within ${this.handshakeTimeoutMs} ms (no "MODELPORT-PLUGIN|<version>|unix|<socket>|grpc" line on stdout); the process (pid ${child.pid}) was killed`,
            ),
          ),
        this.handshakeTimeoutMs,
      );
    });
    try {
      const line = await Promise.race([child.firstLine, timeout]);
      clearTimeout(timer);
      const handshake = parseHandshake(line, this.versions);
      if (!handshake.ok) throw new LaunchError(handshake.error);
      this.protocol = handshake.protocolVersion;
      this.connection.attach(handshake.target, secret);
      const ended = child.exited.then(({ code, signal }) => {
        throw new LaunchError(`it exited during GetInfo (${describeExit(code, signal)})`);
      });
      const info = await Promise.race([this.connection.getInfo(this.handshakeTimeoutMs), ended]);
      if (info.protocol_version !== handshake.protocolVersion) {
        throw new LaunchError(`it answered protocol_version ${info.protocol_version} in GetInfo but ${handshake.protocolVersion} in the handshake`);
      }
      if (info.formats.length === 0) this.logger.warn({ id: info.id }, 'plugin serves no model formats; it will never be chosen');
      if (this.stopping) throw new LaunchError('the host stopped it while it was starting');
      if (!child.alive) throw new LaunchError('it exited right after starting');
      this.pluginInfo = info;
      return info;
    } catch (err) {
      this.connection.markUnavailable(`plugin "${this.name}" is not running`, { abortInFlight: true });
      await child.kill();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private running(): void {
    this.current = 'running';
    this.error = null;
    if (this.policy) {
      const stableAfterMs = this.policy.stableAfterMs;
      this.stableTimer = setTimeout(() => {
        this.stableTimer = null;
        this.backoff.reset();
      }, stableAfterMs);
      this.stableTimer.unref();
    }
  }

  private launchFailed(err: unknown): PluginHostError {
    const child = this.child;
    // Not `instanceof Error`: spawn errors may come from another realm (Jest).
    const errno = (typeof err === 'object' && err !== null ? err : {}) as Partial<NodeJS.ErrnoException>;
    let reason = typeof errno.message === 'string' ? errno.message : String(err);
    if (errno.syscall?.startsWith('spawn') && errno.code === 'ENOENT') reason = `the command ${JSON.stringify(this.config.command)} was not found`;
    else if (errno.syscall?.startsWith('spawn') && errno.code === 'EACCES') reason = `the command ${JSON.stringify(this.config.command)} is not executable`;
    const tail = child?.stderrTail.length ? ` Last stderr lines: ${child.stderrTail.join(' | ')}` : '';
    const error = new PluginHostError(PluginHostErrorCode.PLUGIN_LAUNCH_FAILED, `Plugin "${this.name}" failed to start: ${reason}.${tail}`, {
      plugin: this.name,
      pid: child?.pid,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
    });
    if (this.stopping) return error;
    this.error = error.message;
    this.logger.error({ err: error.message, pid: child?.pid }, 'plugin failed to start');
    this.emit('launch-failed', error);
    this.scheduleRestart(error.message);
    return error;
  }

  private onExit(child: PluginChild, code: number | null, signal: NodeJS.Signals | null): void {
    const wasRunning = this.child === child && this.current === 'running';
    this.emit('exited', { pid: child.pid, code, signal, expected: this.stopping !== null });
    // An exit during a launch fails that launch, which schedules the next one.
    if (!wasRunning) return;
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = null;
    const reason = `plugin "${this.name}" exited unexpectedly (${describeExit(code, signal)})`;
    this.error = reason;
    this.connection.markUnavailable(reason, { abortInFlight: true });
    this.logger.error({ pid: child.pid, code, signal, stderr: child.stderrTail }, 'plugin exited unexpectedly');
    this.emit('down', reason);
    this.scheduleRestart(reason);
  }

  private scheduleRestart(reason: string): void {
    if (this.stopping) return;
    if (!this.policy) {
      this.current = 'down';
      return;
    }
    const delayMs = this.backoff.next();
    this.current = 'restarting';
    this.logger.warn({ delayMs, attempt: this.backoff.failures }, 'restarting plugin after backoff');
    this.emit('restart-scheduled', { attempt: this.backoff.failures, delayMs, reason });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.relaunch();
    }, delayMs);
  }

  private async relaunch(): Promise<void> {
    if (this.stopping) return;
    this.restartCount++;
    try {
      const info = await this.launch();
      if (this.stopping) return;
      this.running();
      this.logger.info({ pid: this.pid, restarts: this.restartCount }, 'plugin restarted');
      this.emit('restarted', info);
    } catch (err) {
      this.launchFailed(err);
    }
  }

  private clearTimers(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.restartTimer = null;
    this.stableTimer = null;
  }
}
