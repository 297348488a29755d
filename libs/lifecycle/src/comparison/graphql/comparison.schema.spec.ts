import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { printSchema, type GraphQLSchema } from 'graphql';
import { ComparisonResolver } from './comparison.resolver';

describe('comparison GraphQL types', () => {
  let schema: GraphQLSchema;

  beforeAll(async () => {
    const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
    await app.init();
    schema = await app.get(GraphQLSchemaFactory).create([ComparisonResolver]);
    await app.close();
  });

  it('builds the operations with their arguments and defaults', () => {
    const sdl = printSchema(schema);
    expect(sdl).toContain(
      'challengerComparison(deploymentId: ID!, challengerVersionId: ID!, from: DateTime!, to: DateTime!, source: ComparisonSource! = ANY, thresholds: ComparisonThresholdsInput): ChallengerComparison!',
    );
    expect(sdl).toContain('replayRun(id: ID!): ReplayRun!');
    const replayRuns = schema.getQueryType()!.getFields()['replayRuns']!;
    expect([replayRuns.args.map((a) => `${a.name}: ${String(a.type)}`), String(replayRuns.type)]).toEqual([['deploymentId: ID!', 'first: Int', 'after: String'], 'ReplayRunConnection!']);
    expect(sdl).toContain('startReplay(input: StartReplayInput!): ReplayRun!');
    expect(sdl).toContain('cancelReplay(id: ID!): ReplayRun!');
    expect(sdl).toMatch(/enum ChallengerVerdict \{\s+CHALLENGER_BETTER\s+NO_WORSE\s+CHALLENGER_WORSE\s+INSUFFICIENT_DATA\s+\}/);
  });

  it('gives the report its figures, per champion version too', () => {
    const fields = (type: string) => Object.keys((schema.getType(type) as unknown as { getFields(): Record<string, unknown> }).getFields());
    const pairFields = ['pairs', 'comparedPairs', 'rows', 'unscorable', 'classification', 'regression', 'outputs', 'championOnlyOutputs', 'challengerOnlyOutputs', 'accuracy'];
    expect(fields('ChallengerComparison')).toEqual(
      expect.arrayContaining([...pairFields, 'champion', 'challenger', 'byChampionVersion', 'verdict', 'evidence', 'thresholds', 'capped', 'task', 'source']),
    );
    expect(fields('ChampionVersionComparison')).toEqual(expect.arrayContaining([...pairFields, 'championVersionId', 'service']));
    expect(fields('ReplayRun')).toEqual(
      expect.arrayContaining(['id', 'deploymentId', 'versionId', 'championVersionId', 'from', 'to', 'maxRows', 'state', 'total', 'done', 'failed', 'progress', 'error', 'createdBy']),
    );
  });
});
