import { Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { assertCan, Can, CurrentCaller, type Caller } from '@modelport/governance';
import { RegistryService } from '@modelport/registry';
import { DeploymentService } from '../deployments/domain/deployment.service';
import { DeploymentError, DeploymentErrorCode } from '../deployments/domain/deployment.errors';
import { newPredictionId, shouldStorePayload } from '../predictions';
import { ServingRuntime } from '../serving-runtime';
import { ingestedRow, LineError, MAX_INGEST_BYTES, MAX_INGEST_LINE_BYTES, ndjsonLines, parseIngestedPrediction } from './prediction-ingestion';

interface StreamRequest {
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

interface StatusReply {
  status(code: number): unknown;
}

export interface IngestionAnswer {
  accepted: number;
  /** The prediction id of each accepted line, by line number. */
  predictions: { line: number; predictionId: string }[];
  rejected: { line: number; error: string; retryable?: boolean }[];
  /** Set when the body went over the limit: lines from this one on were not read. */
  truncatedAtLine: number | null;
}

/**
 * POST /v1/deployments/:id/predictions: the predictions of an external deployment (a model served outside
 * Modelport), as NDJSON, one prediction per line. They go into the same prediction log as served ones, so
 * they get the same health, drift and accuracy. Good lines are kept; bad lines are reported by number.
 */
@Controller('v1/deployments')
export class IngestionController {
  constructor(
    @Inject(DeploymentService) private readonly deployments: DeploymentService,
    @Inject(RegistryService) private readonly registry: RegistryService,
    @Inject(ServingRuntime) private readonly runtime: ServingRuntime,
  ) {}

  @Post(':id/predictions')
  @HttpCode(200)
  @Can('predict', 'Deployment')
  async ingest(@CurrentCaller() caller: Caller, @Param('id') id: string, @Req() req: StreamRequest, @Res({ passthrough: true }) reply: StatusReply): Promise<IngestionAnswer> {
    const deployment = await this.deployments.get(caller, id);
    assertCan(caller.ability, 'predict', 'Deployment', { ...deployment });
    if (deployment.kind !== 'external') {
      throw new DeploymentError(
        DeploymentErrorCode.INVALID_ARGUMENT,
        `Deployment "${deployment.name}" is served by Modelport, which logs its predictions itself; ingestion is for external deployments (kind EXTERNAL).`,
      );
    }
    const body = req.body as Readable | undefined;
    const type = String(req.headers['content-type'] ?? '');
    if (!body || typeof body.pipe !== 'function' || !type.startsWith('application/x-ndjson')) {
      throw new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, 'Send the predictions as NDJSON (one JSON object per line) with Content-Type: application/x-ndjson.');
    }
    const version = await this.registry.versionById(deployment.modelVersionId);
    const answer: IngestionAnswer = { accepted: 0, predictions: [], rejected: [], truncatedAtLine: null };
    const now = new Date();
    let full = false;
    for await (const item of ndjsonLines(body, MAX_INGEST_BYTES, MAX_INGEST_LINE_BYTES)) {
      if ('overLimit' in item) {
        answer.truncatedAtLine = item.line;
        break;
      }
      if ('tooLong' in item) {
        answer.rejected.push({ line: item.line, error: `the line is over ${MAX_INGEST_LINE_BYTES} bytes.` });
        continue;
      }
      if (full) {
        answer.rejected.push({ line: item.line, error: 'the prediction log is full; send this line again shortly.', retryable: true });
        continue;
      }
      try {
        const parsed = parseIngestedPrediction(item.text, now);
        const predictionId = newPredictionId();
        const row = ingestedRow(parsed, predictionId, deployment, version, caller.principal.userId, shouldStorePayload({ payloadLogging: deployment.payloadLogging, sampleRate: deployment.payloadSampleRate }));
        if (!this.runtime.writer.tryAppend(row)) {
          full = true;
          answer.rejected.push({ line: item.line, error: 'the prediction log is full; send this line again shortly.', retryable: true });
          continue;
        }
        answer.accepted++;
        answer.predictions.push({ line: item.line, predictionId });
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        answer.rejected.push({ line: item.line, error: err.message });
      }
    }
    if (answer.truncatedAtLine !== null) reply.status(413);
    else if (full) reply.status(503);
    return answer;
  }
}
