import type { SignatureSpec } from '@modelport/plugin-sdk';
import type { DeploymentState, PayloadLogging } from './deployment.types';

/** A version a route can send a request to besides the champion: a canary (live, by weight) or a shadow (a copy). */
export interface RouteVariant {
  readonly role: 'canary' | 'shadow';
  readonly modelVersionId: string;
  readonly modelVersion: number;
  readonly artifactSha256: string;
  readonly pluginName: string;
  readonly pluginId: string | null;
  readonly pluginVersion: string | null;
  readonly modelKey: string;
  readonly signature: SignatureSpec;
  /** Share of live traffic in percent (canaries); 0 for shadows. */
  readonly weight: number;
}

/** What the gateway needs to answer one request for a deployment, fixed for the route's lifetime. */
export interface Route {
  readonly deploymentId: string;
  readonly projectId: string;
  readonly name: string;
  readonly state: DeploymentState;
  /** Why the deployment is not serving (FAILED) or is still loading. */
  readonly failure: string | null;
  readonly modelId: string;
  readonly modelVersionId: string;
  readonly modelVersion: number;
  readonly artifactSha256: string;
  readonly format: string;
  readonly pluginName: string | null;
  readonly pluginId: string | null;
  readonly pluginVersion: string | null;
  readonly modelKey: string | null;
  readonly signature: SignatureSpec;
  readonly payloadLogging: PayloadLogging;
  readonly payloadSampleRate: number;
  readonly maxBatchSize: number | null;
  readonly maxBatchDelayMs: number | null;
  /**
   * The deployment as access rules see it (every attribute a policy condition may test), tagged once
   * here so the gateway's per-request check builds nothing. Absent: only projectId is known, and a
   * rule with other conditions does not match (fails closed).
   */
  readonly subject?: object;
  /** An external deployment: the V2 gateway does not serve it (its predictions are ingested). */
  readonly external?: boolean;
  /** READY canaries; the champion takes the rest of the traffic (100 minus their weights). */
  readonly canaries?: readonly RouteVariant[];
  /** READY shadow challengers: each gets a copy of every live request, off the response path. */
  readonly shadows?: readonly RouteVariant[];
  /** Sticky routing: one key (the caller, or a request parameter) always gets the same live version. */
  readonly stickyBy?: 'none' | 'consumer' | 'request-parameter';
  readonly stickyParameter?: string | null;
}

/**
 * Routes by deployment name, swapped whole: a request takes the route it
 * finds and keeps it to the end, so switching versions is one map write and
 * the old route can be drained by counting the requests still holding it.
 */
export class RouteTable {
  private readonly routes = new Map<string, Route>();
  private readonly inflight = new WeakMap<Route, { count: number; idle: (() => void)[] }>();

  get(name: string): Route | undefined {
    return this.routes.get(name);
  }

  set(route: Route): Route | undefined {
    const previous = this.routes.get(route.name);
    this.routes.set(route.name, route);
    return previous;
  }

  delete(name: string): Route | undefined {
    const previous = this.routes.get(name);
    this.routes.delete(name);
    return previous;
  }

  all(): Route[] {
    return [...this.routes.values()];
  }

  /** Marks a request as using `route` until the returned function is called. */
  enter(route: Route): () => void {
    let entry = this.inflight.get(route);
    if (!entry) {
      entry = { count: 0, idle: [] };
      this.inflight.set(route, entry);
    }
    entry.count++;
    let left = false;
    const e = entry;
    return () => {
      if (left) return;
      left = true;
      if (--e.count === 0) for (const resolve of e.idle.splice(0)) resolve();
    };
  }

  inflightOn(route: Route): number {
    return this.inflight.get(route)?.count ?? 0;
  }

  /** Resolves true once no request holds `route`, or false after `timeoutMs`. */
  async drain(route: Route, timeoutMs: number): Promise<boolean> {
    const entry = this.inflight.get(route);
    if (!entry || entry.count === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref?.();
      entry.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
