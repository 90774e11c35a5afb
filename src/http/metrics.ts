import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** Read at scrape time, so every replica reports what the shared database and this process hold. */
export interface MetricSources {
  /** Open verifications (PENDING, PROCESSING) in the database, and those past expiry and not yet closed. */
  openVerifications(): Promise<{ open: number; overdue: number }>;
  gateCache(): { hits: number; misses: number };
  /** Undefined for the embedded PGlite, which has no pool. */
  databasePool(): { inUse: number; idle: number; waiting: number } | undefined;
  ready(): Promise<boolean>;
  /** Outbox rows waiting for delivery, given up (FAILED), and the oldest waiting event's age. */
  webhookOutbox(): Promise<{ pending: number; failed: number; oldestPendingAgeSeconds: number }>;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Start to terminal state: a person reads, turns to the camera, sometimes walks away for 30 minutes. */
const PROCESSING_SECONDS = [5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/**
 * One registry per app, so two apps in one process (tests) keep their own counts. The first seven
 * are the customer's names, kept as they are so their dashboards and alerts keep working.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let sources: MetricSources | undefined;

  const metrics = {
    registry,
    authInit: new Counter({ name: 'auth_init_total', help: 'Verifications started (a record created, whatever its first state)', registers }),
    authSuccess: new Counter({ name: 'auth_success_total', help: 'Verifications that ended VERIFIED', registers }),
    authFailure: new Counter({
      name: 'auth_failure_total',
      help: 'Verifications that ended otherwise (FAILED, EXPIRED, CANCELED), by failure code',
      labelNames: ['reason'],
      registers,
    }),
    authProcessingTime: new Histogram({
      name: 'auth_processing_time_seconds',
      help: 'From start to terminal state, by terminal status',
      labelNames: ['status'],
      buckets: PROCESSING_SECONDS,
      registers,
    }),
    activeSessions: new Gauge({
      name: 'active_auth_sessions',
      help: 'Open verifications (PENDING or PROCESSING) in the shared database, the same on every replica',
      registers,
      async collect() {
        const counts = await sources?.openVerifications().catch(() => undefined);
        if (counts) {
          this.set(counts.open);
          metrics.overdueVerifications.set(counts.overdue);
        }
      },
    }),
    cacheHitRate: new Gauge({
      name: 'cache_hit_rate',
      help: "The letter gate cache's hits / lookups since start (0 before the first lookup; use the _total counters for windows)",
      registers,
      collect() {
        const stats = sources?.gateCache();
        if (!stats) return;
        metrics.gateCacheLookups.reset();
        metrics.gateCacheLookups.inc({ result: 'hit' }, stats.hits);
        metrics.gateCacheLookups.inc({ result: 'miss' }, stats.misses);
        const lookups = stats.hits + stats.misses;
        this.set(lookups ? stats.hits / lookups : 0);
      },
    }),
    databasePool: new Gauge({
      name: 'database_connection_pool',
      help: 'PostgreSQL pool of this replica: operations holding a connection (in_use), free connections (idle), operations queued for one (waiting)',
      labelNames: ['state'],
      registers,
      collect() {
        const pool = sources?.databasePool();
        if (!pool) return;
        this.set({ state: 'in_use' }, pool.inUse);
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    }),

    gateCacheLookups: new Counter({ name: 'realname_gate_cache_lookups_total', help: 'Letter gate cache lookups by result', labelNames: ['result'], registers }),
    overdueVerifications: new Gauge({
      name: 'realname_verifications_overdue',
      help: 'Open verifications past their expiry that the reconciler has not closed yet (stuck)',
      registers,
    }),
    graphqlRequests: new Counter({
      name: 'realname_graphql_requests_total',
      help: 'GraphQL operations over HTTP, by root field and outcome',
      labelNames: ['operation', 'outcome'],
      registers,
    }),
    graphqlDuration: new Histogram({
      name: 'realname_graphql_request_duration_seconds',
      help: 'GraphQL operations over HTTP, request to response, by root field',
      labelNames: ['operation'],
      buckets: SECONDS,
      registers,
    }),
    graphqlErrors: new Counter({ name: 'realname_graphql_errors_total', help: 'GraphQL errors by extensions.code', labelNames: ['code'], registers }),
    limitRefusals: new Counter({
      name: 'realname_limit_refusals_total',
      help: 'Requests refused by a rate limit (RATE_LIMITED) or a lockout (LOCKED)',
      labelNames: ['kind'],
      registers,
    }),
    providerCalls: new Counter({
      name: 'realname_provider_calls_total',
      help: 'cloudauth calls by action and outcome (ok, rejected, unavailable)',
      labelNames: ['action', 'outcome'],
      registers,
    }),
    providerDuration: new Histogram({
      name: 'realname_provider_call_duration_seconds',
      help: 'cloudauth calls, retries and failover included, by action and outcome',
      labelNames: ['action', 'outcome'],
      buckets: SECONDS,
      registers,
    }),
    callbacks: new Counter({
      name: 'realname_callbacks_total',
      help: 'Aliyun callbacks by outcome (accepted, bad_request, refused, unavailable, error)',
      labelNames: ['outcome'],
      registers,
    }),
    wsConnections: new Gauge({ name: 'realname_ws_connections', help: 'Authenticated graphql-ws connections', registers }),
    subscriptionsOpen: new Gauge({ name: 'realname_subscriptions_open', help: 'graphql-ws subscriptions running on this replica', registers }),
    reconciled: new Counter({
      name: 'realname_reconciled_total',
      help: 'Verifications the reconciler looked at, by what became of them (checked, settled, expired)',
      labelNames: ['outcome'],
      registers,
    }),
    identityBoundElsewhere: new Counter({
      name: 'realname_identity_bound_elsewhere_total',
      help: 'Face checks passed for a number other accounts already hold every slot of (IDENTITY_ALREADY_BOUND): a possible misuse of that identity',
      registers,
    }),
    reconcilerRuns: new Counter({ name: 'realname_reconciler_runs_total', help: 'Reconciler runs by result (ok, error)', labelNames: ['result'], registers }),
    ready: new Gauge({
      name: 'realname_ready',
      help: '1 while /readyz would answer 200 (database, Redis, migrations; 0 once shutdown began)',
      registers,
      async collect() {
        if (sources) this.set((await sources.ready().catch(() => false)) ? 1 : 0);
      },
    }),

    webhookDeliveries: new Counter({
      name: 'realname_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retried, failed: given up after the last attempt)',
      labelNames: ['outcome'],
      registers,
    }),
    // Gauges are collected concurrently: each reads the outbox itself rather than set another's value.
    webhookBacklog: new Gauge({
      name: 'realname_webhook_outbox_backlog',
      help: 'Webhook events in the shared outbox by status: pending (not delivered yet, retried) and failed (given up until an operator replays them); the same on every replica',
      labelNames: ['status'],
      registers,
      async collect() {
        const outbox = await sources?.webhookOutbox().catch(() => undefined);
        if (!outbox) return;
        this.set({ status: 'pending' }, outbox.pending);
        this.set({ status: 'failed' }, outbox.failed);
      },
    }),
    webhookOldestPending: new Gauge({
      name: 'realname_webhook_outbox_oldest_pending_seconds',
      help: 'Age of the oldest undelivered webhook event (0 when none)',
      registers,
      async collect() {
        const outbox = await sources?.webhookOutbox().catch(() => undefined);
        if (outbox) this.set(outbox.oldestPendingAgeSeconds);
      },
    }),

    /** The newest audit event's seq, set every minute with the `audit chain head` log line (alerts watch it). */
    providerDailyBudgetUsed: new Gauge({ name: 'provider_daily_budget_used', help: 'Provider calls made today (Beijing day), all replicas', registers: [registry] }),
    providerDailyBudgetLimit: new Gauge({ name: 'provider_daily_budget_limit', help: 'PROVIDER_DAILY_BUDGET', registers: [registry] }),
    auditChainHeadSeq: new Gauge({ name: 'audit_chain_head_seq', help: 'Sequence number of the newest chained audit event', registers }),

    /** Wired once the app has what the scrape-time gauges read. */
    observe(from: MetricSources) {
      sources = from;
    },
  };
  return metrics;
}
