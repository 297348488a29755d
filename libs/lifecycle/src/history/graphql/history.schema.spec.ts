import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { GraphQLEnumType, GraphQLObjectType, type GraphQLField, type GraphQLSchema } from 'graphql';
import { TIMELINE_CATEGORIES } from '../domain/timeline.types';
import { HistoryResolver } from './history.resolver';

/** The schema the resolver produces, as the server would build it (code first). */
async function buildSchema(): Promise<GraphQLSchema> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    return await app.get(GraphQLSchemaFactory).create([HistoryResolver]);
  } finally {
    await app.close();
  }
}

const args = (field: GraphQLField<unknown, unknown>) => Object.fromEntries(field.args.map((a) => [a.name, String(a.type)]));
const fields = (type: GraphQLObjectType) => Object.fromEntries(Object.values(type.getFields()).map((f) => [f.name, String(f.type)]));

describe('history GraphQL schema', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildSchema();
  });

  it('has deploymentTimeline(deploymentId, from, to, categories, first, after) returning a connection of entries', () => {
    const query = schema.getQueryType()!.getFields()['deploymentTimeline']!;
    expect(String(query.type)).toBe('TimelineEntryConnection!');
    expect(args(query)).toEqual({ deploymentId: 'ID!', first: 'Int', after: 'String', from: 'DateTime', to: 'DateTime', categories: '[String!]' });
    expect(fields(schema.getType('TimelineEntryConnection') as GraphQLObjectType)).toEqual({ nodes: '[TimelineEntry!]!', pageInfo: 'PageInfo!' });
    expect(fields(schema.getType('TimelineEntry') as GraphQLObjectType)).toEqual({
      id: 'ID!',
      at: 'DateTime!',
      category: 'TimelineCategory!',
      kind: 'String!',
      source: 'String!',
      actor: 'TimelineActor',
      text: 'String!',
      detail: 'String!',
      reason: 'String',
      fromVersion: 'TimelineVersion',
      toVersion: 'TimelineVersion',
      reference: 'TimelineReference',
    });
    expect((schema.getType('TimelineCategory') as GraphQLEnumType).getValues().map((v) => v.name)).toEqual([...TIMELINE_CATEGORIES]);
  });

  it('has staleProductionModels(olderThanDays = 90, projectId, first)', () => {
    const query = schema.getQueryType()!.getFields()['staleProductionModels']!;
    expect(String(query.type)).toBe('StaleProductionModels!');
    expect(args(query)).toEqual({ olderThanDays: 'Int!', projectId: 'ID', first: 'Int' });
    expect(query.args.find((a) => a.name === 'olderThanDays')!.defaultValue).toBe(90);
    expect(fields(schema.getType('StaleProductionModels') as GraphQLObjectType)).toEqual({
      asOf: 'DateTime!',
      olderThanDays: 'Int!',
      totalCount: 'Int!',
      models: '[StaleProductionModel!]!',
    });
    expect(Object.keys(fields(schema.getType('StaleProductionModel') as GraphQLObjectType))).toEqual([
      'deploymentId',
      'deploymentName',
      'projectId',
      'modelId',
      'modelName',
      'championVersionId',
      'championVersion',
      'registeredAt',
      'servingSince',
      'ageDays',
      'everRefreshed',
      'lastRefreshAt',
      'reasons',
      'reason',
    ]);
  });
});
