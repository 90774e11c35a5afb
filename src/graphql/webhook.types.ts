import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { webhookDeliveryStatuses } from '../db/schema.js';
import { PageInfo } from './review.types.js';

export const WebhookDeliveryStatus = Object.fromEntries(webhookDeliveryStatuses.map((s) => [s, s])) as { [K in (typeof webhookDeliveryStatuses)[number]]: K };
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING: not acknowledged yet (retried with backoff); DELIVERED: the receiver answered 2xx; FAILED: given up, replayable',
});

@ObjectType('WebhookDelivery', { description: 'One lifecycle event in the outbox and how its delivery to WEBHOOK_URL went (no PII)' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'The event id, the same in every delivery of it: receivers dedupe on it' }) id!: string;
  @Field(() => String, { description: 'identity.verified, identity.renewable, identity.expired, identity.revoked or review.decided' }) type!: string;
  @Field(() => ID) userId!: string;
  @Field(() => Date) occurredAt!: Date;
  @Field(() => WebhookDeliveryStatus) status!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => Date, { nullable: true, description: 'When the next attempt is due (PENDING only)' }) nextAttemptAt!: Date | null;
  @Field(() => Date, { nullable: true }) lastAttemptAt!: Date | null;
  @Field(() => Int, { nullable: true, description: "The receiver's last HTTP status" }) lastStatusCode!: number | null;
  @Field(() => String, { nullable: true, description: 'Why the last attempt failed: HTTP_<status>, TIMEOUT, ECONNREFUSED…' }) lastError!: string | null;
  @Field(() => Date, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => String, { description: 'The JSON body sent, exactly' }) payload!: string;
}

@ObjectType('WebhookDeliveryEdge')
export class WebhookDeliveryEdge {
  @Field(() => String) cursor!: string;
  @Field(() => WebhookDelivery) node!: WebhookDelivery;
}

@ObjectType('WebhookDeliveryConnection', { description: 'Webhook deliveries, newest first' })
export class WebhookDeliveryConnection {
  @Field(() => [WebhookDeliveryEdge]) edges!: WebhookDeliveryEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}
