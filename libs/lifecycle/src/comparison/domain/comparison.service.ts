import type { DataSource } from 'typeorm';
import { isUuid } from '@modelport/database';
import type { Caller } from '@modelport/governance';
import type { MonitoringSettings, PredictionTask } from '@modelport/monitoring';
import { ComparisonError, ComparisonErrorCode, invalidComparisonArgument } from './comparison.errors';
import type { ActualsRematcher, ComparedDeployment, ComparisonDeploymentLookup, MonitoringSettingsReader } from './comparison.ports';
import { PairAccumulator, type ActualValue, type PairFigures } from './pair-figures';
import { decideVerdict, DEFAULT_VERDICT_THRESHOLDS, resolveThresholds, type ServiceFigures, type ThresholdOverrides, type Verdict, type VerdictThresholds } from './verdict';

export type ComparisonSource = 'SHADOW' | 'REPLAY' | 'ANY';
export const COMPARISON_SOURCES: readonly ComparisonSource[] = ['SHADOW', 'REPLAY', 'ANY'];

const ROLES: Record<ComparisonSource, string[]> = { SHADOW: ['shadow'], REPLAY: ['replay'], ANY: ['shadow', 'replay'] };

export interface ComparisonOptions {
  /** Pairs read per round trip (keyset pages by the live prediction's (received_at, id)). */
  readonly pageRows: number;
  /** Most pairs one comparison reads; the report says when it stopped there. */
  readonly maxPairs: number;
  /** Most rows (batch rows count separately) one comparison holds; the report says when it stopped there. */
  readonly maxRows: number;
  /** Entries of the champion-label × challenger-label table. */
  readonly confusionTop: number;
  readonly thresholds: VerdictThresholds;
}

export const DEFAULT_COMPARISON_OPTIONS: ComparisonOptions = {
  pageRows: 5000,
  maxPairs: 200_000,
  maxRows: 2_000_000,
  confusionTop: 20,
  thresholds: DEFAULT_VERDICT_THRESHOLDS,
};

export interface ComparisonQuery {
  readonly deploymentId: string;
  readonly challengerVersionId: string;
  readonly from: Date;
  readonly to: Date;
  readonly source: ComparisonSource;
  /** Overrides of the verdict thresholds for this comparison. */
  readonly thresholds?: ThresholdOverrides | null;
}

/** The pairs of one champion version, and that version's own traffic in the window. */
export interface ChampionVersionFigures extends PairFigures {
  readonly championVersionId: string | null;
  readonly service: ServiceFigures;
}

export interface ChallengerComparison extends PairFigures {
  readonly deploymentId: string;
  readonly projectId: string;
  readonly challengerVersionId: string;
  readonly from: Date;
  readonly to: Date;
  readonly source: ComparisonSource;
  /** From the deployment's monitoring settings; null without them (outputs are then compared elementwise). */
  readonly task: PredictionTask | null;
  /** True when the comparison stopped at its maximum of pairs or rows before the end of the window. */
  readonly capped: boolean;
  /** Live traffic of the champion versions that have pairs (or of the current champion when none has). */
  readonly champion: ServiceFigures;
  /** The challenger's shadow or replay answers to live requests of the window. */
  readonly challenger: ServiceFigures;
  /** Per champion version when the window's pairs have several (e.g. across a promotion). */
  readonly byChampionVersion: readonly ChampionVersionFigures[];
  readonly verdict: Verdict;
  readonly evidence: readonly string[];
  readonly thresholds: VerdictThresholds;
}

interface PairRow {
  id: string;
  at: string;
  champion_version_id: string | null;
  challenger_status: string;
  champion_label: unknown;
  champion_probability: unknown;
  challenger_label: unknown;
  challenger_probability: unknown;
  champion_outputs: unknown;
  challenger_outputs: unknown;
  actuals: [number, number | null, string | null][] | null;
}

interface ServiceRow {
  version_id: string | null;
  requests: number;
  errors: number;
  p50: number | null;
  p99: number | null;
}

/**
 * Compares a challenger version with the champion on shared traffic: the live predictions of a
 * deployment paired with the challenger's answers to the same inputs (shadow rows, written while
 * serving, or replay rows, written by a replay job), with a verdict and its evidence.
 */
export class ComparisonService {
  private readonly options: ComparisonOptions;

  constructor(
    private readonly db: DataSource,
    private readonly deployments: ComparisonDeploymentLookup,
    private readonly settings: MonitoringSettingsReader,
    private readonly actuals: ActualsRematcher | null = null,
    options: Partial<ComparisonOptions> = {},
  ) {
    this.options = { ...DEFAULT_COMPARISON_OPTIONS, ...options };
  }

  /** Needs read on the deployment; a deployment the caller may not read is NOT_FOUND. */
  async compare(caller: Caller, query: ComparisonQuery): Promise<ChallengerComparison> {
    const deployment = await this.deployments.get(caller, query.deploymentId);
    const source = query.source;
    if (!COMPARISON_SOURCES.includes(source)) throw invalidComparisonArgument('source', `source must be one of ${COMPARISON_SOURCES.join(', ')} (got ${String(source)}).`);
    checkWindow(query.from, query.to);
    const thresholds = resolveThresholds(query.thresholds, this.options.thresholds);
    await assertVersionOfModel(this.db, deployment, query.challengerVersionId, 'challengerVersionId');
    if (this.actuals) await this.actuals.rematch(deployment.id);
    const settings = await this.settings.of(deployment.id);

    const all = new PairAccumulator(settings, this.options.confusionTop);
    const byVersion = new Map<string | null, PairAccumulator>();
    let pairs = 0;
    let rows = 0;
    let capped = false;
    let cursor: { at: string; id: string } | null = null;
    pages: for (;;) {
      const page = await this.pairPage(deployment.id, query, settings, cursor);
      for (const r of page) {
        if (pairs >= this.options.maxPairs || rows >= this.options.maxRows) {
          capped = true;
          break pages;
        }
        const pair = {
          challengerStatus: r.challenger_status,
          championLabel: r.champion_label,
          championProbability: r.champion_probability,
          challengerLabel: r.challenger_label,
          challengerProbability: r.challenger_probability,
          championOutputs: r.champion_outputs,
          challengerOutputs: r.challenger_outputs,
          actuals: (r.actuals ?? []).map(([row, valueNumber, valueLabel]): ActualValue => ({ row, valueNumber, valueLabel })),
        };
        pairs++;
        rows += all.add(pair);
        let version = byVersion.get(r.champion_version_id);
        if (!version) byVersion.set(r.champion_version_id, (version = new PairAccumulator(settings, this.options.confusionTop)));
        version.add(pair);
      }
      if (page.length < this.options.pageRows) break;
      const last = page[page.length - 1]!;
      cursor = { at: last.at, id: last.id };
    }

    const championVersions = byVersion.size > 0 ? [...byVersion.keys()] : [deployment.modelVersionId];
    const service = await this.championService(deployment.id, query, championVersions);
    const challenger = await this.challengerService(deployment.id, query);
    const figures = all.result();
    const champion = service.get(ALL) ?? NO_TRAFFIC;
    const task = settings?.task ?? null;
    const { verdict, evidence } = decideVerdict(
      { task, figures, champion, challenger, cappedAt: capped ? { pairs, maxPairs: this.options.maxPairs, maxRows: this.options.maxRows } : null },
      thresholds,
    );
    return {
      ...figures,
      deploymentId: deployment.id,
      projectId: deployment.projectId,
      challengerVersionId: query.challengerVersionId,
      from: query.from,
      to: query.to,
      source,
      task,
      capped,
      champion,
      challenger,
      byChampionVersion: [...byVersion.entries()]
        .map(([championVersionId, acc]) => ({ ...acc.result(), championVersionId, service: service.get(championVersionId ?? NULL_VERSION) ?? NO_TRAFFIC }))
        .sort((a, b) => b.pairs - a.pairs),
      verdict,
      evidence,
      thresholds,
    };
  }

  /** One page of pairs: successful live predictions with stored payload, each with the challenger's preferred answer (a shadow row before a replay row, the latest first). */
  private async pairPage(deploymentId: string, query: ComparisonQuery, settings: MonitoringSettings | null, cursor: { at: string; id: string } | null): Promise<PairRow[]> {
    const pick = (column: string, param: string) => `jsonb_path_query_first(${column}, '$[*] ? (@.name == $n)', jsonb_build_object('n', ${param}::text))`;
    return (await this.db.query(
      `SELECT l.id::text AS id, l.received_at::text AS at, l.model_version_id::text AS champion_version_id, c.status AS challenger_status,
              CASE WHEN $6::text IS NULL THEN NULL ELSE ${pick('l.outputs', '$6')} END AS champion_label,
              CASE WHEN $7::text IS NULL THEN NULL ELSE ${pick('l.outputs', '$7')} END AS champion_probability,
              CASE WHEN $6::text IS NULL THEN NULL ELSE ${pick('c.outputs', '$6')} END AS challenger_label,
              CASE WHEN $7::text IS NULL THEN NULL ELSE ${pick('c.outputs', '$7')} END AS challenger_probability,
              CASE WHEN $6::text IS NULL THEN l.outputs END AS champion_outputs,
              CASE WHEN $6::text IS NULL THEN c.outputs END AS challenger_outputs,
              (SELECT jsonb_agg(jsonb_build_array(a.row_index, a.value_number, a.value_label) ORDER BY a.row_index)
                 FROM actuals a WHERE a.prediction_id = l.id AND a.deployment_id = l.deployment_id) AS actuals
         FROM predictions l
         JOIN LATERAL (
                SELECT r.status, r.outputs FROM predictions r
                 WHERE r.shadow_of = l.id AND r.deployment_id = l.deployment_id AND r.model_version_id = $4::uuid AND r.role = ANY($5::text[])
                 ORDER BY (r.role = 'shadow') DESC, r.received_at DESC, r.id DESC
                 LIMIT 1) c ON true
        WHERE l.deployment_id = $1 AND l.role = 'live' AND l.status = 'ok' AND l.payload_stored
          AND l.received_at >= $2 AND l.received_at < $3
          AND ($8::timestamptz IS NULL OR (l.received_at, l.id) > ($8::timestamptz, $9::uuid))
        ORDER BY l.received_at, l.id
        LIMIT $10`,
      [
        deploymentId,
        query.from,
        query.to,
        query.challengerVersionId,
        ROLES[query.source],
        settings?.labelOutput ?? null,
        settings?.probabilityOutput ?? null,
        cursor?.at ?? null,
        cursor?.id ?? null,
        this.options.pageRows,
      ],
    )) as PairRow[];
  }

  /** Live requests of the given champion versions in the window, per version and together (key ALL). */
  private async championService(deploymentId: string, query: ComparisonQuery, versions: readonly (string | null)[]): Promise<Map<string, ServiceFigures>> {
    const ids = versions.filter((v): v is string => v !== null);
    const rows = (await this.db.query(
      `SELECT CASE WHEN grouping(model_version_id) = 1 THEN '${ALL}' ELSE coalesce(model_version_id::text, '${NULL_VERSION}') END AS version_id,
              count(*)::int AS requests, count(*) FILTER (WHERE status <> 'ok')::int AS errors,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_us) FILTER (WHERE status = 'ok') AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_us) FILTER (WHERE status = 'ok') AS p99
         FROM predictions
        WHERE deployment_id = $1 AND role = 'live' AND received_at >= $2 AND received_at < $3
          AND (model_version_id = ANY($4::uuid[]) OR ($5::boolean AND model_version_id IS NULL))
        GROUP BY GROUPING SETS ((model_version_id), ())`,
      [deploymentId, query.from, query.to, ids, versions.includes(null)],
    )) as ServiceRow[];
    return new Map(rows.map((r) => [r.version_id!, serviceFigures(r)]));
  }

  /** The challenger's answers (one per live request, as paired) to live requests of the window. */
  private async challengerService(deploymentId: string, query: ComparisonQuery): Promise<ServiceFigures> {
    const [row] = (await this.db.query(
      `WITH answers AS (
         SELECT DISTINCT ON (r.shadow_of) r.status, r.latency_us
           FROM predictions l
           JOIN predictions r ON r.shadow_of = l.id AND r.deployment_id = l.deployment_id
          WHERE l.deployment_id = $1 AND l.role = 'live' AND l.received_at >= $2 AND l.received_at < $3
            AND r.model_version_id = $4::uuid AND r.role = ANY($5::text[])
          ORDER BY r.shadow_of, (r.role = 'shadow') DESC, r.received_at DESC, r.id DESC)
       SELECT NULL AS version_id, count(*)::int AS requests, count(*) FILTER (WHERE status <> 'ok')::int AS errors,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_us) FILTER (WHERE status = 'ok') AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_us) FILTER (WHERE status = 'ok') AS p99
         FROM answers`,
      [deploymentId, query.from, query.to, query.challengerVersionId, ROLES[query.source]],
    )) as ServiceRow[];
    return row ? serviceFigures(row) : NO_TRAFFIC;
  }
}

const ALL = '*';
const NULL_VERSION = '-';
const NO_TRAFFIC: ServiceFigures = { requests: 0, errors: 0, errorRate: null, latencyP50Ms: null, latencyP99Ms: null };

function serviceFigures(r: ServiceRow): ServiceFigures {
  return {
    requests: r.requests,
    errors: r.errors,
    errorRate: r.requests === 0 ? null : r.errors / r.requests,
    latencyP50Ms: r.p50 === null ? null : Number(r.p50) / 1000,
    latencyP99Ms: r.p99 === null ? null : Number(r.p99) / 1000,
  };
}

/** Two dates with from < to; INVALID_WINDOW otherwise. */
export function checkWindow(from: unknown, to: unknown): void {
  const valid = (d: unknown): d is Date => d instanceof Date && Number.isFinite(d.getTime());
  if (!valid(from) || !valid(to)) throw new ComparisonError(ComparisonErrorCode.INVALID_WINDOW, 'from and to must be valid dates (ISO 8601 with a time zone, e.g. 2026-11-02T09:00:00Z).');
  if (!(from.getTime() < to.getTime())) {
    throw new ComparisonError(ComparisonErrorCode.INVALID_WINDOW, `The window is empty or reversed: from (${from.toISOString()}) must be before to (${to.toISOString()}).`, {
      from: from.toISOString(),
      to: to.toISOString(),
    });
  }
}

/** The version's number and artifact; VERSION_NOT_OF_DEPLOYMENT_MODEL unless it is a version of the deployment's model. */
export async function assertVersionOfModel(
  db: DataSource,
  deployment: ComparedDeployment,
  versionId: string,
  field: string,
): Promise<{ id: string; modelId: string; version: number; artifactSha256: string }> {
  const [row] = isUuid(versionId)
    ? ((await db.query(`SELECT id::text AS id, model_id::text AS "modelId", version, artifact_sha256 AS "artifactSha256" FROM model_versions WHERE id = $1`, [versionId])) as {
        id: string;
        modelId: string;
        version: number;
        artifactSha256: string;
      }[])
    : [];
  if (!row || row.modelId !== deployment.modelId) {
    throw new ComparisonError(
      ComparisonErrorCode.VERSION_NOT_OF_DEPLOYMENT_MODEL,
      `"${versionId}" is not a version of the model this deployment serves (model ${deployment.modelId}); pick one of that model's versions.`,
      { field, versionId, modelId: deployment.modelId },
    );
  }
  return row;
}
