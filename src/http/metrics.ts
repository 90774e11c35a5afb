import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** One registry per app, so two apps in one process (tests) keep their own counts. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    graphqlRequests: new Counter({ name: 'realname_graphql_requests_total', help: 'GraphQL HTTP requests', labelNames: ['outcome'], registers: [registry] }),
    wsConnections: new Gauge({ name: 'realname_ws_connections', help: 'Authenticated graphql-ws connections', registers: [registry] }),
    reconciled: new Counter({ name: 'realname_reconciled_total', help: 'Verifications closed by the reconciler', labelNames: ['outcome'], registers: [registry] }),
  };
}
