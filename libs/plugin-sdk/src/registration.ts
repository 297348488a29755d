import * as grpc from '@grpc/grpc-js';
import { pluginProto, type PluginInfo, type RegisterRequest, type RegisterResponse__Output } from '@modelport/proto';
import { unaryCall } from './grpc-unary';
import type { PluginLogger } from './logger';

/** The three PluginRegistry calls, promise-shaped (so the loop is testable without gRPC). */
export interface RegistryCalls {
  register(request: RegisterRequest): Promise<RegisterResponse__Output>;
  heartbeat(request: { registration_id: string; registration_token: string }): Promise<{ known: boolean }>;
  deregister(request: { registration_id: string; registration_token: string }): Promise<void>;
  close(): void;
}

/** A PluginRegistry client over gRPC (plaintext; run the registry on a private network or behind a TLS proxy). */
export function registryCalls(address: string, deadlineMs = 5_000): RegistryCalls {
  const { PluginRegistry } = pluginProto().modelport.plugin.v1;
  const client = new PluginRegistry(address, grpc.credentials.createInsecure());
  const options = () => ({ deadline: Date.now() + deadlineMs });
  const md = () => new grpc.Metadata();
  return {
    register: (req) => unaryCall(client, client.Register, req, md(), options()),
    heartbeat: async (req) => ({ known: (await unaryCall(client, client.Heartbeat, req, md(), options())).known }),
    deregister: async (req) => void (await unaryCall(client, client.Deregister, req, md(), options())),
    close: () => client.close(),
  };
}

export interface RegistrationOptions {
  readonly token: string;
  /** host:port where the core reaches the plugin. */
  readonly address: string;
  readonly info: PluginInfo;
  readonly secret: string;
  readonly logger: PluginLogger;
  /** Heartbeat interval when the core answers 0. */
  readonly defaultHeartbeatMs?: number;
  /** First retry delay after a failed Register; doubles up to maxRetryMs. */
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
}

/**
 * Keeps a remote plugin registered: Register, then Heartbeat at the interval
 * the core returned; Register again when a heartbeat answers known = false or
 * the core could not be reached (retrying with backoff); Deregister on stop.
 */
export class RegistrationLoop {
  private id: string | undefined;
  private intervalMs: number;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly calls: RegistryCalls,
    private readonly options: RegistrationOptions,
  ) {
    this.intervalMs = options.defaultHeartbeatMs ?? 10_000;
  }

  /** The current registration id, if registered. */
  get registrationId(): string | undefined {
    return this.id;
  }

  /** Makes the first Register attempt (a failure is logged and retried in the background). */
  async start(): Promise<void> {
    await this.run();
  }

  /** Stops heartbeats and withdraws the registration. Never throws. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    const id = this.id;
    this.id = undefined;
    if (id) {
      try {
        await this.calls.deregister({ registration_id: id, registration_token: this.options.token });
        this.options.logger.info('deregistered from the Modelport core', { registrationId: id });
      } catch (err) {
        this.options.logger.warn('could not deregister from the Modelport core; the registration will expire with its lease', { registrationId: id, err });
      }
    }
    this.calls.close();
  }

  private run(): Promise<void> {
    this.running = this.tick().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(), ms);
    this.timer.unref();
  }

  private retryDelay(): number {
    const min = this.options.minRetryMs ?? 250;
    const max = this.options.maxRetryMs ?? Math.max(15_000, this.intervalMs);
    return Math.min(max, min * 2 ** Math.max(0, this.failures - 1));
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.id === undefined) {
      this.schedule((await this.register()) ? this.intervalMs : this.retryDelay());
      return;
    }
    try {
      const { known } = await this.calls.heartbeat({ registration_id: this.id, registration_token: this.options.token });
      if (!known) {
        this.options.logger.warn('the Modelport core no longer knows this registration; registering again', { registrationId: this.id });
        this.id = undefined;
        this.schedule((await this.register()) ? this.intervalMs : this.retryDelay());
        return;
      }
      this.schedule(this.intervalMs);
    } catch (err) {
      this.options.logger.warn('heartbeat to the Modelport core failed; registering again once it answers', { registrationId: this.id, err: message(err) });
      this.id = undefined;
      this.failures = 1;
      this.schedule(this.retryDelay());
    }
  }

  private async register(): Promise<boolean> {
    try {
      const res = await this.calls.register({
        registration_token: this.options.token,
        address: this.options.address,
        info: this.options.info,
        call_secret: this.options.secret,
      });
      if (!res.registration_id) throw new Error('the core answered Register without a registration_id');
      if (res.heartbeat_interval_ms > 0) this.intervalMs = res.heartbeat_interval_ms;
      this.failures = 0;
      this.id = res.registration_id;
      // When stop() is waiting for this attempt, it withdraws the registration right away.
      if (this.stopped) return true;
      this.options.logger.info('registered with the Modelport core', {
        registrationId: res.registration_id,
        address: this.options.address,
        heartbeatMs: this.intervalMs,
        leaseMs: res.lease_ms,
      });
      return true;
    } catch (err) {
      this.failures++;
      this.options.logger.warn('registration with the Modelport core failed; retrying', { err: message(err), retryMs: this.retryDelay() });
      return false;
    }
  }
}

function message(err: unknown): string {
  const e = err as { details?: string; message?: string };
  return e?.details || e?.message || String(err);
}
