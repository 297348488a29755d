import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

/** What grpc-health-check 2.x keeps in its (TypeScript-private) fields. */
interface HealthInternals {
  statusMap: Map<string, ServingStatus>;
  watchers: Map<string, Set<(status: string) => void>>;
}

/**
 * grpc.health.v1 for a plugin: "" is the plugin as a whole, and every loaded
 * model key is a service of its own. grpc-health-check can set statuses but
 * not forget a service, which an unloaded model needs (Check answers
 * NOT_FOUND again, watchers see SERVICE_UNKNOWN); `remove` adds that.
 */
export class PluginHealth extends HealthImplementation {
  constructor() {
    super({ '': 'NOT_SERVING' });
    const internals = this as unknown as Partial<HealthInternals>;
    if (!(internals.statusMap instanceof Map) || !(internals.watchers instanceof Map)) {
      throw new Error('grpc-health-check changed its internals; PluginHealth.remove needs an update');
    }
  }

  /** Forgets a service: Check answers NOT_FOUND, watchers are told SERVICE_UNKNOWN. */
  remove(service: string): void {
    const internals = this as unknown as HealthInternals;
    if (!internals.statusMap.delete(service)) return;
    for (const watcher of internals.watchers.get(service) ?? []) watcher('SERVICE_UNKNOWN');
  }

  /** The services currently known, with their status. */
  statuses(): ReadonlyMap<string, ServingStatus> {
    return new Map((this as unknown as HealthInternals).statusMap);
  }
}
