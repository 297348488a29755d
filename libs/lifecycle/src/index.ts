/** Lifecycle: challenger comparison and replay, bake and automatic rollback, refresh policies, timelines. */
export { lifecycleEntities, lifecycleMigrations } from './persistence';
export { LifecycleModule } from './lifecycle.module';
export * from './bake';
export * from './history';
export * from './refresh';
export * from './comparison';
