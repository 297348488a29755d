import type { DataSource } from 'typeorm';
import { assertCan, type Caller } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import type { DeploymentService, PredictionLogRow } from '@modelport/serving';
import {
  computeDriftReport,
  emptyCategoricalWindow,
  emptyNumericWindow,
  mergeCategoricalWindows,
  mergeNumericWindows,
  parseDriftSketch,
  sketchCategoricalWindow,
  sketchNumericWindow,
  type CategoricalProfile,
  type CategoricalWindowSketch,
  type DriftInput,
  type DriftOptions,
  type DriftReport,
  type NumericProfile,
  type NumericWindowSketch,
} from '../drift';
import { invalidAlertArgument } from '../alerts/domain/alert.errors';
import type { StatusPart, StatusSource } from '../overview/overview.service';
import { columnsFromTensors } from './features';
import type { ColumnProfile, ReferenceProfileRow, ReferenceService } from './reference.service';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
/** A drift query reads at most this many hours (90 days). */
export const MAX_DRIFT_HOURS = 90 * 24;
const PROFILE_CACHE_MS = 10_000;

type Sketch = NumericWindowSketch | CategoricalWindowSketch;

export interface DeploymentDrift {
  readonly deploymentId: string;
  readonly from: Date;
  readonly to: Date;
  readonly profile: ReferenceProfileRow | null;
  /** Predictions with a stored payload in the window (the sample drift is measured on). */
  readonly rows: number;
  readonly report: DriftReport | null;
  readonly message: string | null;
}

const isCategorical = (p: NumericProfile | CategoricalProfile): p is CategoricalProfile => p.kind === 'categorical-profile';

function sketchOf(profile: NumericProfile | CategoricalProfile, values: unknown[]): Sketch {
  return isCategorical(profile) ? sketchCategoricalWindow(profile, values) : sketchNumericWindow(profile, sanitize(values));
}

/** Non-finite predictions (NaN, ±Infinity written as strings or null) count as missing, as in the reference. */
function sanitize(values: unknown[]): unknown[] {
  return values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null));
}

function merge(a: Sketch, b: Sketch): Sketch {
  return a.kind === 'numeric-window' ? mergeNumericWindows(a, b as NumericWindowSketch) : mergeCategoricalWindows(a, b as CategoricalWindowSketch);
}

/**
 * Drift per deployment: every committed batch of the prediction log is turned, per hour and feature, into
 * window sketches over the reference profile's bins and categories, merged into `drift_window_sketches`; a
 * drift query merges the hours it spans (cost: hours × features) and runs the tests of `computeDriftReport`.
 */
export class DriftService {
  private readonly profiles = new Map<string, { at: number; profile: ReferenceProfileRow | null }>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: DataSource,
    private readonly references: ReferenceService,
    private readonly deployments: Pick<DeploymentService, 'get'>,
    private readonly logger: Logger,
  ) {}

  /** Folds a committed batch of logged predictions into the hourly sketches (one write at a time). */
  record(rows: readonly PredictionLogRow[]): Promise<void> {
    const run = this.writing.then(() => this.fold(rows)).catch((err: unknown) => this.logger.error({ err, rows: rows.length }, 'could not update the drift windows; they miss this batch'));
    this.writing = run;
    return run;
  }

  private async profileFor(deploymentId: string, modelVersionId: string): Promise<ReferenceProfileRow | null> {
    const key = `${deploymentId}/${modelVersionId}`;
    const cached = this.profiles.get(key);
    if (cached && Date.now() - cached.at < PROFILE_CACHE_MS) return cached.profile;
    const profile = await this.references.active(deploymentId, modelVersionId);
    this.profiles.set(key, { at: Date.now(), profile });
    return profile;
  }

  private async fold(rows: readonly PredictionLogRow[]): Promise<void> {
    // (deployment, profile, hour) → column values of the batch
    const groups = new Map<string, { deploymentId: string; profile: ReferenceProfileRow; hour: Date; values: Map<string, unknown[]>; rows: number }>();
    for (const row of rows) {
      if (!row.payloadStored || row.status !== 'ok' || !row.modelVersionId) continue;
      const profile = await this.profileFor(row.deploymentId, row.modelVersionId);
      if (!profile?.profiles) continue;
      const hour = new Date(Math.floor(row.receivedAt.getTime() / HOUR_MS) * HOUR_MS);
      const key = `${row.deploymentId}/${profile.id}/${hour.getTime()}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { deploymentId: row.deploymentId, profile, hour, values: new Map(), rows: 0 }));
      const features = columnsFromTensors(row.inputs, profile.featureColumns);
      const predictions = columnsFromTensors(row.outputs, profile.predictionColumns);
      const n = Math.max(features?.values().next().value?.length ?? 0, predictions?.values().next().value?.length ?? 0);
      if (n === 0) continue;
      group.rows += n;
      for (const [name, list] of [...(features ?? []), ...(predictions ?? [])]) {
        const all = group.values.get(name) ?? [];
        all.push(...list);
        group.values.set(name, all);
      }
    }
    for (const group of groups.values()) {
      if (group.rows === 0) continue;
      await this.db.transaction(async (tx) => {
        for (const column of group.profile.profiles!) {
          const values = group.values.get(column.name) ?? new Array(group.rows).fill(null);
          const sketch = sketchOf(column.profile, values);
          const day = new Date(Math.floor(group.hour.getTime() / DAY_MS) * DAY_MS);
          // The hour and its day, in one transaction: late data (an ingested past timestamp) updates both.
          for (const [span, at] of [['hour', group.hour], ['day', day]] as const) {
            const [existing] = (await tx.query(
              `SELECT sketch FROM drift_window_sketches WHERE deployment_id = $1 AND profile_id = $2 AND span = $3 AND hour = $4 AND role = $5 AND feature = $6 FOR UPDATE`,
              [group.deploymentId, group.profile.id, span, at, column.role, column.name],
            )) as { sketch: unknown }[];
            const merged = existing ? merge(parseDriftSketch(existing.sketch) as Sketch, sketch) : sketch;
            await tx.query(
              `INSERT INTO drift_window_sketches (deployment_id, profile_id, span, hour, feature, role, rows, sketch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (deployment_id, profile_id, span, hour, role, feature) DO UPDATE SET rows = drift_window_sketches.rows + excluded.rows, sketch = excluded.sketch`,
              [group.deploymentId, group.profile.id, span, at, column.name, column.role, values.length, JSON.stringify(merged)],
            );
          }
        }
      });
    }
  }

  /** Waits until every batch handed to `record` so far is folded in. */
  async settle(): Promise<void> {
    await this.writing;
  }

  async settings(caller: Caller, deploymentId: string): Promise<DriftOptions> {
    const deployment = await this.deployments.get(caller, deploymentId);
    return this.optionsOf(deployment.id);
  }

  /** Thresholds and tests per feature, Benjamini-Hochberg, and the status rule of a deployment (its project's ml-engineers and admins). */
  async setSettings(caller: Caller, deploymentId: string, options: DriftOptions): Promise<DriftOptions> {
    const deployment = await this.deployments.get(caller, deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    // Checked by running them on an empty report: unknown tests and bad thresholds are refused the same way.
    computeDriftReport([], options);
    await this.db.query(
      `INSERT INTO drift_settings (deployment_id, options, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (deployment_id) DO UPDATE SET options = excluded.options, updated_by = excluded.updated_by, updated_at = now()`,
      [deployment.id, JSON.stringify(options), caller.principal.userId],
    );
    return options;
  }

  private async optionsOf(deploymentId: string): Promise<DriftOptions> {
    const [row] = (await this.db.query(`SELECT options FROM drift_settings WHERE deployment_id = $1`, [deploymentId])) as { options: DriftOptions }[];
    return row?.options ?? {};
  }

  async report(caller: Caller, deploymentId: string, from: Date, to: Date): Promise<DeploymentDrift> {
    const deployment = await this.deployments.get(caller, deploymentId);
    return this.reportOf(deployment.id, deployment.modelVersionId, from, to);
  }

  /** Without an access check (alert evaluation, the overview). */
  async reportOf(deploymentId: string, modelVersionId: string, from: Date, to: Date): Promise<DeploymentDrift> {
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to.getTime() <= from.getTime()) throw invalidAlertArgument('to', 'to must be a time after from.');
    if (to.getTime() - from.getTime() > MAX_DRIFT_HOURS * HOUR_MS) throw invalidAlertArgument('from', `A drift query spans at most ${MAX_DRIFT_HOURS / 24} days.`);
    const profile = await this.references.active(deploymentId, modelVersionId);
    const empty = (message: string): DeploymentDrift => ({ deploymentId, from, to, profile, rows: 0, report: null, message });
    if (!profile?.profiles) return empty('No READY reference profile for the version this deployment serves: upload one with createReferenceProfile.');
    // Whole days from the day rows, the hours before the first and after the last whole day from the hour rows.
    const start = new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS);
    const firstDay = new Date(Math.ceil(start.getTime() / DAY_MS) * DAY_MS);
    const endDay = new Date(Math.floor(to.getTime() / DAY_MS) * DAY_MS);
    const days = firstDay.getTime() < endDay.getTime();
    const sketches = (await this.db.query(
      days
        ? `SELECT feature, role, rows, sketch FROM drift_window_sketches WHERE deployment_id = $1 AND profile_id = $2 AND (
             (span = 'day' AND hour >= $5 AND hour < $6) OR (span = 'hour' AND ((hour >= $3 AND hour < $5) OR (hour >= $6 AND hour < $4))))`
        : `SELECT feature, role, rows, sketch FROM drift_window_sketches WHERE deployment_id = $1 AND profile_id = $2 AND span = 'hour' AND hour >= $3 AND hour < $4`,
      days ? [deploymentId, profile.id, start, to, firstDay, endDay] : [deploymentId, profile.id, start, to],
    )) as { feature: string; role: string; rows: number; sketch: unknown }[];
    const merged = new Map<string, Sketch>();
    let rows = 0;
    for (const s of sketches) {
      const key = `${s.role}/${s.feature}`;
      const sketch = parseDriftSketch(s.sketch) as Sketch;
      merged.set(key, merged.has(key) ? merge(merged.get(key)!, sketch) : sketch);
      if (s.role === 'feature' && s.feature === profile.featureColumns[0]) rows += s.rows;
    }
    if (rows === 0) return empty('No prediction with a stored payload in this window (payload logging must be full or sampled for drift).');
    const inputs: DriftInput[] = profile.profiles.map((c: ColumnProfile) => {
      const window = merged.get(`${c.role}/${c.name}`) ?? (isCategorical(c.profile) ? emptyCategoricalWindow(c.profile) : emptyNumericWindow(c.profile));
      return { role: c.role, reference: c.profile, window } as DriftInput;
    });
    return { deploymentId, from, to, profile, rows, report: computeDriftReport(inputs, await this.optionsOf(deploymentId)), message: null };
  }

  /** The overview's drift part over the last `hours`. */
  statusSource(hours = 24): StatusSource {
    return async (ids, now) => {
      const out = new Map<string, StatusPart>();
      const deployments = (await this.db.query(`SELECT id, model_version_id FROM deployments WHERE id = ANY($1::uuid[])`, [ids])) as { id: string; model_version_id: string }[];
      for (const d of deployments) {
        const drift = await this.reportOf(d.id, d.model_version_id, new Date(now.getTime() - hours * HOUR_MS), now).catch(() => null);
        if (!drift?.report || drift.report.status === 'unknown') continue;
        out.set(d.id, {
          status: drift.report.status,
          detail: `${drift.report.driftedFeatures} of ${drift.report.testedFeatures} features drifted in ${hours} h (${drift.rows} predictions)`,
        });
      }
      return out;
    };
  }
}
