import type { MercuriusDriverConfig } from '@nestjs/mercurius';
import { MercuriusDriver } from '@nestjs/mercurius';
import { GraphQLError, Kind, NoSchemaIntrospectionCustomRule, type DocumentNode, type ExecutionResult, type ValidationRule } from 'graphql';
import type { ModelportConfig } from '@modelport/config';
import { isModelportError } from '@modelport/errors';
import { queryLimitsRule } from '@modelport/graphql';
import type { Logger } from '@modelport/observability';
import type { ServerMetrics } from '../metrics/metrics';

const SUGGESTION = /\s*Did you mean .*\?$/;

interface FormattedError {
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  extensions: Record<string, unknown>;
}

/** Turns one GraphQL error into what the client sees: typed domain errors keep their code and message; unknown errors are hidden. */
export function formatGraphqlError(error: GraphQLError, production: boolean, logger: Logger): FormattedError {
  const original = error.originalError;
  const where = { locations: error.locations, path: error.path };
  if (isModelportError(original)) {
    return { message: original.message, ...where, extensions: { code: original.kind, reason: original.code, ...original.details } };
  }
  if (!original || original instanceof GraphQLError) {
    const message = production ? error.message.replace(SUGGESTION, '') : error.message;
    return { message, ...where, extensions: { code: (error.extensions?.['code'] as string | undefined) ?? 'GRAPHQL_VALIDATION_FAILED' } };
  }
  // Input coercion errors from graphql-js carry no originalError; anything else is a bug or an outage.
  logger.error({ err: original, path: error.path }, 'unexpected error in a GraphQL resolver');
  return { message: 'Internal error; the server log has the details.', ...where, extensions: { code: 'INTERNAL' } };
}

type RequestFailure = Error & { errors?: unknown; statusCode: number };

/** A Fastify/Mercurius 4xx error about the request as a whole (resolver errors carry a path). */
function requestFailure(error: GraphQLError): RequestFailure | null {
  const failure = error.originalError as (Error & { statusCode?: unknown }) | undefined;
  if (error.path || !(failure instanceof Error) || failure instanceof GraphQLError || typeof failure.statusCode !== 'number') return null;
  return failure.statusCode >= 400 && failure.statusCode < 500 ? (failure as RequestFailure) : null;
}

/**
 * Mercurius reports a request that never executed (body not JSON or empty, body
 * not one operation, syntax, validation and limit errors) as one Fastify error
 * wrapping the real ones. Unwraps them so the client sees each message, as a
 * GraphQL error of its own; returns the wrapper's 4xx status when it has one.
 */
function unwrapRequestErrors(errors: readonly GraphQLError[], batch: boolean): { errors: GraphQLError[]; statusCode: number | null } {
  let statusCode: number | null = null;
  const out: GraphQLError[] = [];
  for (const error of errors) {
    const failure = requestFailure(error);
    if (!failure) {
      out.push(error);
      continue;
    }
    statusCode ??= failure.statusCode;
    const inner = Array.isArray(failure.errors) ? (failure.errors as unknown[]) : [failure];
    for (const e of inner) {
      if (e instanceof GraphQLError) out.push(e);
      else {
        const message = batch ? 'Batched queries are not accepted: send one operation per request.' : e instanceof Error ? e.message : String(e);
        out.push(new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } }));
      }
    }
  }
  return { errors: out, statusCode };
}

function operationOf(document: DocumentNode): { type: string; name: string } {
  const op = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return op && op.kind === Kind.OPERATION_DEFINITION ? { type: op.operation, name: op.name?.value ?? 'anonymous' } : { type: 'unknown', name: 'anonymous' };
}

export const GRAPHQL_TIMING = Symbol('modelport.graphql.timing');

export interface GraphqlTiming {
  start: bigint;
  type: string;
  name: string;
}

/** Adds the duration histogram through Mercurius hooks (called once the GraphQL plugin is registered). */
export function instrumentGraphql(
  mercurius: {
    addHook(name: 'preExecution', fn: (schema: unknown, document: DocumentNode, context: Record<symbol, unknown>) => void): void;
    addHook(name: 'onResolution', fn: (execution: ExecutionResult, context: Record<symbol, unknown>) => void): void;
  },
  metrics: ServerMetrics,
): void {
  mercurius.addHook('preExecution', (_schema, document, context) => {
    context[GRAPHQL_TIMING] = { start: process.hrtime.bigint(), ...operationOf(document) } satisfies GraphqlTiming;
  });
  mercurius.addHook('onResolution', (execution, context) => {
    const timing = context[GRAPHQL_TIMING] as GraphqlTiming | undefined;
    if (!timing) return;
    const seconds = Number(process.hrtime.bigint() - timing.start) / 1e9;
    metrics.graphqlDuration.observe({ operation_type: timing.type, operation_name: timing.name, outcome: execution.errors?.length ? 'error' : 'ok' }, seconds);
  });
}

export function graphqlOptions(config: ModelportConfig, logger: Logger, schemaFile: string | true): MercuriusDriverConfig {
  const production = config.env === 'production';
  const limits = {
    maxDepth: config.graphql.maxDepth,
    maxCost: config.graphql.maxCost,
    maxAliases: config.graphql.maxAliases,
    defaultPageSize: Math.min(20, config.graphql.maxPageSize),
  };
  return {
    driver: MercuriusDriver,
    path: '/graphql',
    autoSchemaFile: schemaFile,
    sortSchema: true,
    graphiql: !production,
    allowBatchedQueries: false,
    // Limits depend on the variables (page sizes), so validation runs per request rather than from Mercurius's query cache.
    cache: false,
    fieldResolverEnhancers: ['guards', 'filters'],
    context: (request: unknown, reply: unknown) => ({ req: request, reply }),
    validationRules: ({ variables }: { variables?: Record<string, unknown> }) => {
      const rules: ValidationRule[] = [queryLimitsRule(limits, () => variables ?? {})];
      if (production) rules.push(NoSchemaIntrospectionCustomRule);
      return rules;
    },
    errorFormatter: (execution, context) => {
      const body = (context as { reply?: { request?: { body?: unknown } } } | undefined)?.reply?.request?.body;
      const unwrapped = unwrapRequestErrors(execution.errors as readonly GraphQLError[], Array.isArray(body));
      const errors = unwrapped.errors.map((e) => formatGraphqlError(e, production, logger));
      const hasData = execution.data !== undefined && execution.data !== null;
      const neverRan = !hasData && errors.every((e) => e.extensions['code'] !== 'INTERNAL' && !('reason' in e.extensions));
      return {
        // A request that never ran (bad body, syntax, validation, limits) is a 400; execution errors are reported with 200 as GraphQL over HTTP does.
        statusCode: neverRan ? (unwrapped.statusCode ?? 400) : 200,
        response: { data: execution.data ?? null, errors } as unknown as ExecutionResult,
      };
    },
  } as MercuriusDriverConfig;
}
