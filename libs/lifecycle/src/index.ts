/** Lifecycle: challenger comparison and replay, bake and automatic rollback, refresh policies, timelines. */
export { lifecycleEntities, lifecycleMigrations } from './persistence';
