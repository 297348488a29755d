import { Controller, HttpCode, Inject, type OnModuleInit, Optional, Param, Post, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Readable } from 'node:stream';
import { LOGGER } from '@modelport/config';
import { isModelportError } from '@modelport/errors';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import { AccuracyError, AccuracyErrorCode } from '../domain/accuracy.errors';
import { ActualsService, type NdjsonIngestReport } from '../domain/actuals.service';

export const NDJSON = 'application/x-ndjson';

interface StreamRequest {
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

interface StatusReply {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

interface ParserHost {
  hasContentTypeParser(type: string): boolean;
  addContentTypeParser(type: string, parser: (request: unknown, payload: unknown, done: (err: Error | null, body?: unknown) => void) => void): void;
}

/** The JSON answer of the NDJSON endpoint. */
export interface NdjsonAnswer {
  readonly accepted: number;
  readonly duplicates: { line: number; associationId: string }[];
  readonly unknown: { line: number; associationId: string }[];
  readonly errors: { line: number; message: string }[];
  readonly duplicateCount: number;
  readonly unknownCount: number;
  readonly errorCount: number;
  readonly lines: number;
  /** Set when not every line was processed (413 over the byte limit, or a failure part-way). */
  readonly error?: { code: string; message: string; fromLine: number };
}

/**
 * POST /v1/deployments/:id/actuals: actuals in bulk, as NDJSON (one JSON object per line:
 * {"associationId": "...", "value": 1, "actualAt"?: "...", "row"?: 0}). The body is streamed and
 * stored in batches; good lines are kept and bad ones reported by line number. Over the byte
 * limit the answer is 413 with what was processed before it (and `error.fromLine` to resend from).
 */
@Controller('v1/deployments')
export class ActualsController implements OnModuleInit {
  constructor(
    private readonly actuals: ActualsService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  /** Fastify refuses content types it has no parser for; this one hands the body over as a stream, never buffered. */
  onModuleInit(): void {
    const fastify = this.adapterHost?.httpAdapter?.getInstance<ParserHost>();
    if (fastify && typeof fastify.addContentTypeParser === 'function' && !fastify.hasContentTypeParser(NDJSON)) {
      fastify.addContentTypeParser(NDJSON, (_request, payload, done) => done(null, payload));
    }
  }

  @Post(':id/actuals')
  @HttpCode(200)
  @Can('predict', 'Deployment')
  async submit(@CurrentCaller() caller: Caller, @Param('id') id: string, @Req() req: StreamRequest, @Res({ passthrough: true }) reply: StatusReply): Promise<NdjsonAnswer> {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const body = req.body as Readable | undefined;
    if (type !== NDJSON || !body || typeof body[Symbol.asyncIterator] !== 'function') {
      throw new AccuracyError(
        AccuracyErrorCode.UNSUPPORTED_CONTENT_TYPE,
        `Send actuals with Content-Type: ${NDJSON}, one JSON object per line ({"associationId": "...", "value": ...}); for a few, use the submitActuals mutation.`,
      );
    }
    const report = await this.actuals.ingestNdjson(caller, id, body);
    const answer = toAnswer(report);
    if (report.truncated) {
      reply.status(413);
      // The rest of the body is not read: close the connection rather than drain it.
      reply.header('connection', 'close');
      return {
        ...answer,
        error: {
          code: AccuracyErrorCode.ACTUALS_BODY_TOO_LARGE,
          message: `The body is over ${report.truncated.maxBytes} bytes. Lines 1 to ${report.lines} were processed as reported here; lines from ${report.truncated.fromLine} on were not read: send them in another request.`,
          fromLine: report.truncated.fromLine,
        },
      };
    }
    if (report.failure) {
      const err = report.failure.error;
      if (!isModelportError(err)) this.logger?.error({ err, deploymentId: id }, 'storing actuals failed part-way');
      reply.status(isModelportError(err) ? err.httpStatus : 500);
      const why = isModelportError(err) ? err.message : 'Internal error; the server log has the details.';
      return {
        ...answer,
        error: {
          code: isModelportError(err) ? err.code : 'INTERNAL',
          message: `${why} Lines before ${report.failure.fromLine} were processed as reported here; send the lines from ${report.failure.fromLine} on again.`,
          fromLine: report.failure.fromLine,
        },
      };
    }
    return answer;
  }
}

function toAnswer(r: NdjsonIngestReport): NdjsonAnswer {
  return {
    accepted: r.accepted,
    duplicates: r.duplicates,
    unknown: r.unknown,
    errors: r.errors,
    duplicateCount: r.duplicateCount,
    unknownCount: r.unknownCount,
    errorCount: r.errorCount,
    lines: r.lines,
  };
}
