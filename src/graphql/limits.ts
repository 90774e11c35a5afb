import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * Our operations are shallow (UserAuthStatus → latestVerification → failureReason is the deepest),
 * so the limits are tight. Applied on both paths: Apollo's validationRules and graphql-ws's onSubscribe.
 * Deep introspection (`fields { type { fields …`) is refused by graphql-js's own MaxIntrospectionDepthRule.
 */
export const QUERY_LIMITS = { depth: 8, aliases: 15, cost: 2000, directives: 10, tokens: 1000 } as const;

/**
 * graphql-armor throws its refusal out of `validate()` by default, which Apollo turns into a 500 and
 * graphql-ws into a 4500 close of the whole socket; reported instead, it is an ordinary validation error.
 */
const refusal = {
  exposeLimits: false,
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

export function validationRules({ introspection }: { introspection: boolean }): ValidationRule[] {
  const rules: ValidationRule[] = [
    maxDepthRule({ n: QUERY_LIMITS.depth, flattenFragments: true, ...refusal }),
    // No allowList: three hundred aliased `__typename`s are still three hundred aliases.
    maxAliasesRule({ n: QUERY_LIMITS.aliases, allowList: [], ...refusal }),
    costLimitRule({ maxCost: QUERY_LIMITS.cost, ...refusal }),
    maxDirectivesRule({ n: QUERY_LIMITS.directives, ...refusal }),
  ] as ValidationRule[];
  if (!introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

/**
 * Apollo would run a subscription sent over HTTP as a one-shot query, whose resolver then has no
 * event to resolve; subscriptions live on graphql-ws only.
 */
export const NoSubscriptionOverHttpRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === 'subscription') context.reportError(new GraphQLError('subscriptions are served over graphql-ws', { nodes: node }));
  },
});

export const parseOptions = { maxTokens: QUERY_LIMITS.tokens };
