import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';

/**
 * Our operations are shallow (UserAuthStatus → latestVerification → failureReason is the deepest),
 * so the limits are tight. Applied on both paths: Apollo's validationRules and graphql-ws's onSubscribe.
 */
export const QUERY_LIMITS = { depth: 8, aliases: 15, cost: 2000, directives: 10, tokens: 1000 } as const;

export function validationRules({ introspection }: { introspection: boolean }): ValidationRule[] {
  const rules: ValidationRule[] = [
    maxDepthRule({ n: QUERY_LIMITS.depth, flattenFragments: true, exposeLimits: false }),
    maxAliasesRule({ n: QUERY_LIMITS.aliases, exposeLimits: false }),
    costLimitRule({ maxCost: QUERY_LIMITS.cost, exposeLimits: false }),
    maxDirectivesRule({ n: QUERY_LIMITS.directives, exposeLimits: false }),
  ] as ValidationRule[];
  if (!introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

export const parseOptions = { maxTokens: QUERY_LIMITS.tokens };
