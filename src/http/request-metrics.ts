import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Metrics } from './metrics.js';

const REFUSALS: Record<string, string> = { RATE_LIMITED: 'rate_limited', LOCKED: 'locked' };

/**
 * Requests, latency and errors per operation. The label is the operation's first root field
 * (`startVerification`, `verifyIdentity`): it comes from the schema, so its values are bounded,
 * where a client-chosen operation name would let any caller create series without end.
 */
export function graphqlMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      let operation = 'unknown';
      return {
        async didResolveOperation({ operation: resolved }) {
          operation = rootField(resolved);
        },
        async willSendResponse({ response }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          // The formatted errors: their codes are the ones clients see.
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          metrics.graphqlDuration.observe({ operation }, seconds);
          metrics.graphqlRequests.inc({ operation, outcome: errors.length ? 'error' : 'ok' });
          for (const error of errors) {
            const code = String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
            metrics.graphqlErrors.inc({ code });
            const refusal = REFUSALS[code];
            if (refusal) metrics.limitRefusals.inc({ kind: refusal });
          }
        },
      };
    },
  };
}

function rootField(operation: OperationDefinitionNode | undefined): string {
  const first = operation?.selectionSet.selections[0];
  return first?.kind === Kind.FIELD ? first.name.value : 'unknown';
}
