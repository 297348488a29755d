import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { isModelportError } from '@modelport/errors';
import type { Logger } from '@modelport/observability';
import {
  PLUGIN_PROTOCOL_VERSION,
  type PluginInfo__Output,
  type PluginRegistryHandlers,
  type RegisterRequest__Output,
  type RegisterResponse,
  pluginProto,
} from '@modelport/proto';
import { isPluginCallError, PluginConnection, type PluginConnectionOptions } from './plugin-connection';
import { pluginInfoDifferences, registerRequestProblems } from './registration.validation';

/** Who a registration token belongs to. */
export interface RegistrationPrincipal {
  /** Stable id; Heartbeat and Deregister must come with a token of the same principal. */
  readonly id: string;
  readonly name?: string;
}

/**
 * Checks a registration token. Resolves with its principal, or null when the
 * token is not valid (UNAUTHENTICATED). Throwing a ModelportError of kind
 * FORBIDDEN answers PERMISSION_DENIED (a valid token without the right to
 * register plugins) and UNAUTHENTICATED answers UNAUTHENTICATED, both with the
 * error's message; any other error answers UNAVAILABLE.
 */
export type AuthorizeRegistration = (token: string) => Promise<RegistrationPrincipal | null>;

export interface PluginRegistryOptions {
  readonly authorize: AuthorizeRegistration;
  readonly logger: Logger;
  /** How often a plugin is asked to heartbeat (default 5 s). */
  readonly heartbeatIntervalMs?: number;
  /** Without a heartbeat for this long a plugin is marked unhealthy (default 3 heartbeat intervals). */
  readonly leaseMs?: number;
  /** Without a heartbeat for this long a registration is removed (default 5 minutes, at least the lease). */
  readonly removeAfterMs?: number;
  /** Deadline of the GetInfo the core calls back before accepting a registration (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** Protocol versions this core accepts (default [PLUGIN_PROTOCOL_VERSION]). */
  readonly protocolVersions?: readonly number[];
  /** Options of the connections to registered plugins. */
  readonly connection?: PluginConnectionOptions;
}

/** ACTIVE: heartbeats arrive; EXPIRED: the lease ran out, the plugin counts as unhealthy. */
export type LeaseState = 'ACTIVE' | 'EXPIRED';

export interface RemotePluginRegistration {
  readonly id: string;
  /** The plugin's info.id, its name in the host. */
  readonly name: string;
  /** host:port the core calls. */
  readonly address: string;
  /** What the plugin registered with and confirmed in GetInfo. */
  readonly info: PluginInfo__Output;
  readonly principal: RegistrationPrincipal;
  readonly connection: PluginConnection;
  readonly registeredAt: Date;
  readonly lastHeartbeatAt: Date;
  readonly lease: LeaseState;
}

export type RegistrationRemovalReason = 'deregistered' | 'lease-expired' | 'closed';

export interface PluginRegistryEvents {
  /** A plugin registered; `replaced` is the earlier registration of the same plugin id, now closed. */
  registered: [registration: RemotePluginRegistration, replaced: RemotePluginRegistration | null];
  /** The lease ran out: the plugin is unhealthy until it heartbeats again. */
  expired: [registration: RemotePluginRegistration];
  /** A heartbeat arrived after the lease had run out. */
  renewed: [registration: RemotePluginRegistration];
  /** The registration is gone and its connection closed. */
  removed: [registration: RemotePluginRegistration, reason: RegistrationRemovalReason];
}

class Registration implements RemotePluginRegistration {
  lastHeartbeatAt: Date;
  lease: LeaseState = 'ACTIVE';
  readonly registeredAt = new Date();

  constructor(
    readonly id: string,
    readonly name: string,
    readonly address: string,
    readonly info: PluginInfo__Output,
    readonly principal: RegistrationPrincipal,
    readonly connection: PluginConnection,
  ) {
    this.lastHeartbeatAt = this.registeredAt;
  }
}

/** A gRPC status to answer with. */
class RpcFailure extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The core side of modelport.plugin.v1.PluginRegistry: remote plugins
 * register with a token, their address, info and call secret; the core calls
 * GetInfo back to confirm, then keeps the registration alive on heartbeats.
 * A missed lease marks the plugin unhealthy ('expired'); a much longer
 * silence removes it. Add it to any grpc.Server with {@link addTo}.
 */
export class PluginRegistryService extends EventEmitter<PluginRegistryEvents> {
  private readonly registrations = new Map<string, Registration>();
  private readonly logger: Logger;
  private readonly heartbeatIntervalMs: number;
  private readonly leaseMs: number;
  private readonly removeAfterMs: number;
  private readonly connectTimeoutMs: number;
  private readonly versions: readonly number[];
  private readonly sweeper: NodeJS.Timeout;
  private nameGuard: (name: string) => string | null = () => null;
  private closed = false;

  constructor(private readonly options: PluginRegistryOptions) {
    super();
    this.logger = options.logger.child({ component: 'plugin-registry' });
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5_000;
    this.leaseMs = options.leaseMs ?? 3 * this.heartbeatIntervalMs;
    this.removeAfterMs = Math.max(options.removeAfterMs ?? 5 * 60_000, this.leaseMs);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.versions = options.protocolVersions ?? [PLUGIN_PROTOCOL_VERSION];
    const sweepMs = Math.max(20, Math.min(1_000, Math.floor(this.leaseMs / 4)));
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  /** Registers the PluginRegistry service on a gRPC server. */
  addTo(server: grpc.Server): void {
    server.addService(pluginProto().modelport.plugin.v1.PluginRegistry.service, this.handlers());
  }

  /** The gRPC handlers, for servers assembled elsewhere. */
  handlers(): PluginRegistryHandlers {
    return {
      Register: (call, callback) => this.reply('Register', callback, () => this.register(call.request, call.getPeer())),
      Heartbeat: (call, callback) =>
        this.reply('Heartbeat', callback, async () => ({ known: await this.heartbeat(call.request.registration_id, call.request.registration_token) })),
      Deregister: (call, callback) =>
        this.reply('Deregister', callback, async () => {
          await this.deregister(call.request.registration_id, call.request.registration_token);
          return {};
        }),
    };
  }

  /**
   * Refuses registrations under names that are taken elsewhere (local
   * plugins): the guard returns a message to refuse with, or null.
   */
  setNameGuard(guard: (name: string) => string | null): void {
    this.nameGuard = guard;
  }

  list(): RemotePluginRegistration[] {
    return [...this.registrations.values()];
  }

  get(registrationId: string): RemotePluginRegistration | undefined {
    return this.registrations.get(registrationId);
  }

  /** Stops lease checks and closes every registration's connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const registration of [...this.registrations.values()]) this.remove(registration, 'closed');
  }

  private async register(request: RegisterRequest__Output, peer: string): Promise<RegisterResponse> {
    if (this.closed) throw new RpcFailure(grpc.status.UNAVAILABLE, 'The plugin registry is shutting down; register again later.');
    const principal = await this.authenticate(request.registration_token);
    const problems = registerRequestProblems(request, this.versions);
    if (problems.length > 0) throw new RpcFailure(grpc.status.INVALID_ARGUMENT, `Registration rejected: ${problems.join('; ')}.`);
    const info = request.info!;
    const taken = this.nameGuard(info.id);
    if (taken) throw new RpcFailure(grpc.status.ALREADY_EXISTS, taken);
    this.assertOwner(this.byName(info.id), principal, `plugin id "${info.id}"`);

    const connection = new PluginConnection(info.id, { address: request.address, secret: request.call_secret }, this.options.connection);
    let answered: PluginInfo__Output;
    try {
      answered = await connection.getInfo(this.connectTimeoutMs);
    } catch (err) {
      connection.close();
      const message = err instanceof Error ? err.message : String(err);
      const retryable = !isPluginCallError(err) || [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED].includes(err.code);
      throw new RpcFailure(
        retryable ? grpc.status.UNAVAILABLE : grpc.status.FAILED_PRECONDITION,
        `The core could not confirm the plugin at ${request.address} with GetInfo: ${message}. The plugin must listen there before it registers and accept the call_secret it registers with.`,
      );
    }
    const differences = pluginInfoDifferences(info, answered);
    if (differences.length > 0) {
      connection.close();
      throw new RpcFailure(grpc.status.FAILED_PRECONDITION, `The registered info does not match what the plugin answers in GetInfo: ${differences.join('; ')}.`);
    }
    if (this.closed) {
      connection.close();
      throw new RpcFailure(grpc.status.UNAVAILABLE, 'The plugin registry is shutting down; register again later.');
    }
    // Checked again: another registration of this id may have finished meanwhile.
    const replaced = this.byName(info.id) ?? null;
    this.assertOwner(replaced ?? undefined, principal, `plugin id "${info.id}"`);
    const registration = new Registration(`reg_${randomBytes(16).toString('hex')}`, info.id, request.address, answered, principal, connection);
    if (replaced) {
      this.registrations.delete(replaced.id);
      replaced.connection.close(`plugin "${info.id}" registered again from ${request.address}`);
    }
    this.registrations.set(registration.id, registration);
    this.logger.info(
      {
        plugin: info.id,
        registrationId: registration.id,
        address: request.address,
        peer,
        version: answered.version,
        formats: answered.formats.map((f) => f.name),
        principal: principal.id,
        replaced: replaced?.id,
      },
      'remote plugin registered',
    );
    this.emit('registered', registration, replaced);
    return { registration_id: registration.id, heartbeat_interval_ms: this.heartbeatIntervalMs, lease_ms: this.leaseMs };
  }

  private async heartbeat(registrationId: string, token: string): Promise<boolean> {
    const principal = await this.authenticate(token);
    const registration = this.registrations.get(registrationId);
    if (!registration) return false;
    this.assertOwner(registration, principal, `registration ${registrationId}`);
    registration.lastHeartbeatAt = new Date();
    if (registration.lease === 'EXPIRED') {
      registration.lease = 'ACTIVE';
      this.logger.info({ plugin: registration.name, registrationId }, 'remote plugin heartbeats again');
      this.emit('renewed', registration);
    }
    return true;
  }

  private async deregister(registrationId: string, token: string): Promise<void> {
    const principal = await this.authenticate(token);
    const registration = this.registrations.get(registrationId);
    if (!registration) return;
    this.assertOwner(registration, principal, `registration ${registrationId}`);
    this.remove(registration, 'deregistered');
  }

  private sweep(): void {
    const now = Date.now();
    for (const registration of [...this.registrations.values()]) {
      const silentMs = now - registration.lastHeartbeatAt.getTime();
      if (silentMs > this.removeAfterMs) {
        this.remove(registration, 'lease-expired');
      } else if (silentMs > this.leaseMs && registration.lease === 'ACTIVE') {
        registration.lease = 'EXPIRED';
        this.logger.warn({ plugin: registration.name, registrationId: registration.id, silentMs, leaseMs: this.leaseMs }, 'remote plugin missed its lease; marked unhealthy');
        this.emit('expired', registration);
      }
    }
  }

  private remove(registration: Registration, reason: RegistrationRemovalReason): void {
    if (this.registrations.get(registration.id) !== registration) return;
    this.registrations.delete(registration.id);
    const message =
      reason === 'deregistered'
        ? `plugin "${registration.name}" deregistered`
        : reason === 'lease-expired'
          ? `plugin "${registration.name}" sent no heartbeat for ${this.removeAfterMs} ms and was removed`
          : 'the plugin registry is closed';
    registration.connection.close(message);
    this.logger.info({ plugin: registration.name, registrationId: registration.id, reason }, 'remote plugin removed');
    this.emit('removed', registration, reason);
  }

  private byName(name: string): Registration | undefined {
    for (const registration of this.registrations.values()) if (registration.name === name) return registration;
    return undefined;
  }

  private assertOwner(registration: Registration | undefined, principal: RegistrationPrincipal, what: string): void {
    if (registration && registration.principal.id !== principal.id) {
      throw new RpcFailure(grpc.status.PERMISSION_DENIED, `${what} belongs to another principal; use the registration token it was registered with.`);
    }
  }

  private async authenticate(token: string): Promise<RegistrationPrincipal> {
    if (!token) throw new RpcFailure(grpc.status.UNAUTHENTICATED, 'A registration token is required (registration_token).');
    let principal: RegistrationPrincipal | null;
    try {
      principal = await this.options.authorize(token);
    } catch (err) {
      if (isModelportError(err) && err.kind === 'FORBIDDEN') throw new RpcFailure(grpc.status.PERMISSION_DENIED, err.message);
      if (isModelportError(err) && err.kind === 'UNAUTHENTICATED') throw new RpcFailure(grpc.status.UNAUTHENTICATED, err.message);
      this.logger.error({ err }, 'could not check a plugin registration token');
      throw new RpcFailure(grpc.status.UNAVAILABLE, 'The registration token could not be checked right now; try again.');
    }
    if (!principal) throw new RpcFailure(grpc.status.UNAUTHENTICATED, 'The registration token is not valid (unknown, revoked or expired).');
    return principal;
  }

  private reply<T>(method: string, callback: grpc.sendUnaryData<T>, run: () => Promise<T>): void {
    run().then(
      (response) => callback(null, response),
      (err: unknown) => {
        if (err instanceof RpcFailure) {
          this.logger.warn({ method, status: grpc.status[err.code], reason: err.message }, 'plugin registry call refused');
          callback({ code: err.code, details: err.message });
        } else {
          this.logger.error({ err, method }, 'plugin registry call failed');
          callback({ code: grpc.status.INTERNAL, details: 'The plugin registry failed to handle the call.' });
        }
      },
    );
  }
}
