import type { Caller } from '@modelport/governance';
import type { MonitoringSettings } from '@modelport/monitoring';

/** What comparison and replay need of a deployment. */
export interface ComparedDeployment {
  readonly id: string;
  readonly projectId: string;
  readonly modelId: string;
  /** The champion: the version the deployment serves live. */
  readonly modelVersionId: string;
}

/**
 * Finds a deployment the caller may read, or throws the serving context's NOT_FOUND (also for
 * deployments the caller may not see). `DeploymentService` of @modelport/serving is one.
 */
export interface ComparisonDeploymentLookup {
  get(caller: Caller, id: string): Promise<ComparedDeployment>;
}

/** A deployment's monitoring settings, or null. `MonitoringSettingsService` of @modelport/monitoring is one. */
export interface MonitoringSettingsReader {
  of(deploymentId: string): Promise<MonitoringSettings | null>;
}

/** Matches actuals that arrived before their predictions were logged. `ActualsService` of @modelport/monitoring is one. */
export interface ActualsRematcher {
  rematch(deploymentId: string): Promise<number>;
}

/** A tensor in the V2 JSON form the prediction log stores: data flat and row-major over shape [batch, ...]. */
export interface JsonTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

export type ScoreFunction = (inputs: JsonTensor[]) => Promise<JsonTensor[]>;

/**
 * Scores inputs on a model version of a deployment, for replays. The serving context implements it
 * by loading the version on a plugin for the duration of `fn` (and unloading it afterwards). A
 * rejected `score` call fails that row only; a rejected `withVersion` (the version could not be
 * loaded) fails the job's try.
 */
export interface ReplayScorer {
  withVersion<T>(deploymentId: string, versionId: string, fn: (score: ScoreFunction) => Promise<T>): Promise<T>;
}
