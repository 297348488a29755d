import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { isModelportError } from '@modelport/errors';
import { AccessService, AuthGuard, GovernanceError, GovernanceErrorCode, type Caller } from '@modelport/governance';
import { createTestDatabase, type TestDatabase } from '@modelport/testing';
import { LabelledDataService } from '../domain/labelled-data.service';
import { callerOf, insertPredictions, refreshTestSchema, seedDeployment, SqlDeploymentLookup, type SeededDeployment } from '../refresh.fixture';
import { LabelledDataController, NDJSON } from './labelled-data.controller';

/** The server's REST error mapping, reduced to what these routes throw. */
@Catch()
class ErrorBody implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): unknown {
    const reply = host.switchToHttp().getResponse<{ status(code: number): { send(body: unknown): unknown } }>();
    if (isModelportError(error)) return reply.status(error.httpStatus).send({ error: { code: error.code, message: error.message } });
    return reply.status(500).send({ error: { code: 'INTERNAL', message: String(error) } });
  }
}

/** GET /v1/deployments/:id/labelled-data through Nest and Fastify, authenticated by the real global guard. */
describe('LabelledDataController', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;
  let d: SeededDeployment;
  let ids: string[];
  const tokens = new Map<string, Caller>();

  beforeAll(async () => {
    db = await createTestDatabase(refreshTestSchema);
    d = await seedDeployment(db.dataSource);
    ids = await insertPredictions(db.dataSource, d, [
      { receivedAt: new Date('2026-11-02T07:00:00Z'), features: [1, 2], actuals: [1] },
      { receivedAt: new Date('2026-11-02T08:00:00Z'), features: [3, 4] },
      { receivedAt: new Date('2026-11-02T09:00:00Z'), features: [5, 6], actuals: [0] },
    ]);
    tokens.set('viewer-token', callerOf(randomUUID(), [[d.projectId, 'viewer']]));
    tokens.set('outsider-token', callerOf(randomUUID(), [[randomUUID(), 'admin']]));
    const access = {
      authenticate: async (bearer: string | null) => {
        const caller = bearer ? tokens.get(bearer) : undefined;
        if (!caller) throw new GovernanceError(bearer ? GovernanceErrorCode.TOKEN_INVALID : GovernanceErrorCode.TOKEN_MISSING, 'Send a valid API token.');
        return caller;
      },
    };
    const moduleRef = await Test.createTestingModule({
      controllers: [LabelledDataController],
      providers: [
        { provide: LabelledDataService, useValue: new LabelledDataService(db.dataSource, new SqlDeploymentLookup(db.dataSource), 1) },
        { provide: AccessService, useValue: access },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorBody },
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app?.close();
    await db.drop();
  });

  const get = (path: string, token?: string) => app.inject({ method: 'GET', url: path, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const url = (id: string, query = 'from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z') => `/v1/deployments/${id}/labelled-data?${query}`;

  it('streams one NDJSON line per labelled prediction', async () => {
    const res = await get(url(d.deploymentId), 'viewer-token');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain(NDJSON);
    const lines = res.body.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        predictionId: ids[0],
        receivedAt: '2026-11-02T07:00:00.000Z',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
        outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }],
        actuals: [{ row: 0, value: 1 }],
      },
      {
        predictionId: ids[2],
        receivedAt: '2026-11-02T09:00:00.000Z',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 2], data: [5, 6] }],
        outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }],
        actuals: [{ row: 0, value: 0 }],
      },
    ]);
  });

  it('answers 401 without a token, 404 to those who cannot read the deployment, 400 for a bad range', async () => {
    const anonymous = await get(url(d.deploymentId));
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: { code: 'TOKEN_MISSING' } });
    expect((await get(url(d.deploymentId), 'wrong-token')).statusCode).toBe(401);
    const hidden = await get(url(d.deploymentId), 'outsider-token');
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json()).toMatchObject({ error: { code: 'DEPLOYMENT_NOT_FOUND' } });
    const reversed = await get(url(d.deploymentId, 'from=2026-11-03T00:00:00Z&to=2026-11-02T00:00:00Z'), 'viewer-token');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json()).toEqual({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('must be after from') } });
    expect((await get(url(d.deploymentId, 'to=2026-11-02T00:00:00Z'), 'viewer-token')).statusCode).toBe(400);
  });
});
