import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one server process: process metrics, HTTP and GraphQL durations. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly graphqlDuration: Histogram<'operation_type' | 'operation_name' | 'outcome'>;

  constructor() {
    this.registry.setDefaultLabels({ service: 'modelport' });
    collectDefaultMetrics({ register: this.registry, prefix: 'modelport_' });
    this.httpDuration = new Histogram({
      name: 'modelport_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.graphqlDuration = new Histogram({
      name: 'modelport_graphql_operation_duration_seconds',
      help: 'GraphQL operation duration by type, name and outcome.',
      labelNames: ['operation_type', 'operation_name', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }
}
