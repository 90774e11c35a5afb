import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { WebhookDeliveryStatus as Status, WebhookEventRow } from '../repositories/webhook.repository.js';
import { deliveryCursor } from '../services/webhook.service.js';
import { requireActor, type GraphQLContext } from './context.js';
import { WebhookDelivery, WebhookDeliveryConnection, WebhookDeliveryStatus } from './webhook.types.js';

const view = (row: WebhookEventRow): WebhookDelivery => ({
  id: row.id,
  type: row.type,
  userId: row.userId,
  occurredAt: row.occurredAt,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === 'PENDING' ? row.nextAttemptAt : null,
  lastAttemptAt: row.lastAttemptAt,
  lastStatusCode: row.lastStatusCode,
  lastError: row.lastError,
  deliveredAt: row.deliveredAt,
  payload: row.body,
});

@Resolver(() => WebhookDelivery)
export class WebhookResolver {
  @Query(() => WebhookDeliveryConnection, { description: 'Operators: webhook deliveries, newest first, optionally of one status' })
  async webhookDeliveries(
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true }) status: Status | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookDeliveryConnection> {
    const page = await ctx.services.webhooks.list(requireActor(ctx), status ?? undefined, first ?? 20, after);
    const edges = page.deliveries.map((row) => ({ cursor: deliveryCursor(row), node: view(row) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: page.totalCount };
  }

  @Mutation(() => WebhookDelivery, { description: 'Operators: deliver this event again (same id and body), with a fresh retry budget; audited' })
  async replayWebhook(@Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GraphQLContext): Promise<WebhookDelivery> {
    return view(await ctx.services.webhooks.replay(requireActor(ctx), id, reason));
  }
}
