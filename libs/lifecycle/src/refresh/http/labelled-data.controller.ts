import { Controller, Get, Inject, Optional, Param, Query as QueryParam, Res } from '@nestjs/common';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { LOGGER } from '@modelport/config';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import { LabelledDataService } from '../domain/labelled-data.service';

export const NDJSON = 'application/x-ndjson';

interface StreamReply {
  header(name: string, value: string): unknown;
  send(payload: unknown): unknown;
}

/**
 * GET /v1/deployments/:id/labelled-data?from=&to=: the deployment's live predictions in [from, to) that have
 * a stored payload and actuals, as NDJSON ({predictionId, receivedAt, inputs, outputs, actuals: [{row, value}]}),
 * oldest first. The link in each refresh request; the retraining service calls it with its own token.
 */
@Controller('v1/deployments')
export class LabelledDataController {
  constructor(
    private readonly labelled: LabelledDataService,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  @Get(':id/labelled-data')
  @Can('read', 'Deployment')
  async export(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Res() reply: StreamReply,
    @QueryParam('from') from?: string,
    @QueryParam('to') to?: string,
  ): Promise<void> {
    // Access and the range are checked before any byte is sent, so refusals are ordinary error answers.
    const lines = await this.labelled.open(caller, id, { from, to });
    const body = new PassThrough();
    reply.header('content-type', NDJSON);
    reply.send(body);
    try {
      for await (const line of lines) {
        if (!body.write(`${line}\n`)) {
          // A client that went away closes the stream: stop reading the database.
          await Promise.race([once(body, 'drain'), once(body, 'close')]);
          if (body.destroyed) return;
        }
      }
      body.end();
    } catch (err) {
      // Headers are gone: cut the stream so the client sees an incomplete body rather than a short, clean one.
      this.logger?.error({ err, deploymentId: id }, 'the labelled-data export failed part-way');
      body.destroy(err as Error);
    }
  }
}
