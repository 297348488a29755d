import { Controller, Get, Header, HttpCode, HttpException, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ARTIFACT_STORE } from '@modelport/config';
import { Public } from '@modelport/governance';
import type { ArtifactStore } from '@modelport/storage';
import { ServerMetrics } from '../metrics/metrics';
import { ShutdownState } from './shutdown-state';

@Controller()
export class HealthController {
  constructor(
    private readonly db: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly metrics: ServerMetrics,
    private readonly shutdown: ShutdownState,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @Public()
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  /** Readiness: the database and the artifact store answer, and the server is not shutting down. */
  @Get('readyz')
  @Public()
  async ready() {
    const checks: Record<string, string> = {};
    checks['shutdown'] = this.shutdown.draining ? 'draining' : 'ok';
    try {
      await this.db.query('SELECT 1');
      checks['database'] = 'ok';
    } catch (err) {
      checks['database'] = `error: ${(err as Error).message}`;
    }
    try {
      await this.store.stat('readyz/probe');
      checks['artifactStore'] = 'ok';
    } catch (err) {
      checks['artifactStore'] = `error: ${(err as Error).message}`;
    }
    const ok = Object.values(checks).every((v) => v === 'ok');
    if (!ok) throw new HttpException({ status: 'unavailable', checks }, 503);
    return { status: 'ok', checks };
  }

  @Get('metrics')
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
