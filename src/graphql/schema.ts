import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { FaceCaptureResolver } from './face-capture.resolver.js';
import { AdminAttemptResolver, OperatorResolver } from './operator.resolver.js';
import { PersonalDataResolver } from './personal-data.resolver.js';
import { ReviewResolver } from './review.resolver.js';
import { ReferenceResolver, UserAuthStatusResolver, VerificationFieldsResolver, VerificationResolver } from './verification.resolver.js';
import { WebhookResolver } from './webhook.resolver.js';

/**
 * Built once at start-up; `schema.graphql` is this, printed. Every object and input type names
 * itself in its decorator: type-graphql would take the class's name, which the bundle `npm start`
 * runs may change (scripts/bundle-server.mjs).
 */
export async function buildRealnameSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [VerificationResolver, VerificationFieldsResolver, UserAuthStatusResolver, ReferenceResolver, PersonalDataResolver, ReviewResolver, OperatorResolver, AdminAttemptResolver, FaceCaptureResolver, WebhookResolver],
    validate: false,
    // type-graphql insists on a PubSub once any subscription exists, though ours bring their own
    // `subscribe` (the event bus, with the state read first). Topic-based use would be a bug.
    pubSub: {
      publish: () => {
        throw new Error('publish through the EventBus');
      },
      subscribe: () => {
        throw new Error('subscriptions define their own subscribe');
      },
    },
  });
}

export const printRealnameSchema = (schema: GraphQLSchema) => `${printSchema(lexicographicSortSchema(schema))}\n`;
