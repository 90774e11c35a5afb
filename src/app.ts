import { randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { tracesEnabled, type Config } from './config.js';
import { BlindIndex } from './crypto/blind-index.js';
import { parseMasterKeys } from './crypto/envelope.js';
import { openPglite, openPostgres, type DatabaseHandle } from './db/database.js';
import { loadOrCreateSecrets } from './embedded-secrets.js';
import { buildRealnameSchema } from './graphql/schema.js';
import { createAuthenticator } from './http/auth.js';
import { rememberVerifiedTokens } from './http/verified-tokens.js';
import { createMetrics } from './http/metrics.js';
import { watchReviewQueue } from './http/review-metrics.js';
import { createReadiness } from './http/health.js';
import { createHttpServer } from './http/server.js';
import { FaceCaptureService } from './services/face-capture.service.js';
import { createLogger, type Logger } from './logger.js';
import { createAliyunProvider } from './providers/aliyun/aliyun.provider.js';
import type { FaceVerifyProvider } from './providers/provider.js';
import { sandboxMetaInfo } from './providers/sandbox/meta-info.js';
import { startSandbox, type Sandbox } from './providers/sandbox/sandbox.server.js';
import { createMemoryBus, createRedisBus, type EventBus } from './pubsub/event-bus.js';
import type { GateFacts } from './repositories/gate.repository.js';
import { memoryCallCounter, redisCallCounter, withDailyBudget } from './providers/daily-budget.js';
import { AccessLog } from './services/access-log.js';
import { createPersonalDataLimiter } from './services/personal-data-limits.js';
import { AuditChain } from './services/audit-log.js';
import { refuseRetiredMasterKeys } from './services/key-retirement.js';
import { AuthStatusService } from './services/auth-status.service.js';
import { DenylistService } from './services/denylist.service.js';
import { GateCache, invalidatingLocally } from './services/gate-cache.js';
import { createStartGuard } from './services/start-guard.js';
import { PersonalDataService } from './services/personal-data.service.js';
import { PURGE_INTERVAL_MS, RetentionService } from './services/retention.service.js';
import { ReviewService } from './services/review.service.js';
import { StatsService } from './services/stats.service.js';
import { SupportService } from './services/support.service.js';
import { PersonalDataVault } from './services/vault.js';
import { VerificationResultService } from './services/verification-result.service.js';
import { VerificationWatch } from './services/verification-watch.js';
import { VerificationService } from './services/verification.service.js';
import { WebhookOutbox } from './services/webhook-outbox.js';
import { WebhookService } from './services/webhook.service.js';
import { verificationRepository } from './repositories/verification.repository.js';
import { runInScope } from './telemetry/context.js';
import { instrumentBus, instrumentProvider } from './telemetry/instrument.js';
import { inSpan } from './telemetry/spans.js';

export interface AppOverrides {
  logger?: Logger;
  clock?: () => Date;
  /** Use this database instead of opening one (tests share a migrated database per file). */
  database?: DatabaseHandle;
}

const AUDIT_HEAD_INTERVAL_MS = 60_000;
/**
 * The renewal/expiry sweep is a daily job in what it promises (once per identity and validity period),
 * run hourly so a replica restarted more often than daily still runs it; repeats add nothing.
 */
const LIFECYCLE_SWEEP_INTERVAL_MS = 3_600_000;

export type App = Awaited<ReturnType<typeof createApp>>;

/**
 * The composition root: reads nothing but `config`, picks each adapter once (PGlite or PostgreSQL,
 * memory or Redis, sandbox or Aliyun) and wires the same services over them.
 */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const clock = overrides.clock ?? (() => new Date());
  const closers: (() => Promise<unknown>)[] = [];
  const metrics = createMetrics();
  try {
    const secrets = embeddedSecrets(config, log);
    const traced = tracesEnabled(config);
    const database = overrides.database ?? (config.DATABASE_URL ? await openPostgres(config.DATABASE_URL, { traced }) : await openPglite(config.DATA_DIR, { traced }));
    if (!overrides.database) closers.push(() => database.close());

    let redis: Redis | undefined;
    if (config.REDIS_URL) {
      // No offline queue: while Redis is away, limits fall back and publishes fail at once (the
      // database holds the truth) instead of every request waiting out reconnect attempts.
      redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 5_000, enableOfflineQueue: false });
      redis.on('error', (err) => log.warn({ err: { type: err.name, code: (err as { code?: string }).code } }, 'redis error'));
      closers.push(() => redis!.quit().catch(() => redis!.disconnect()));
    }
    const broker: EventBus = instrumentBus(redis ? await createRedisBus(redis, config.REDIS_KEY_PREFIX) : createMemoryBus(), metrics);
    closers.unshift(() => broker.close());

    // Listening first: with PORT=0 the real port is needed for PUBLIC_BASE_URL's default (the
    // CallbackUrl). Until the app is attached below, every request is told to come back.
    const server = createServer((_req, res) => res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"status":"starting"}'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, resolve);
    });
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as AddressInfo).port;
    const publicBaseUrl = config.PUBLIC_BASE_URL?.replace(/\/$/, '') ?? `http://localhost:${port}`;

    const { provider: cloudauth, sandbox } = await connectProvider(config, publicBaseUrl, log);
    const instrumented = instrumentProvider(cloudauth, metrics, log);
    const provider =
      config.PROVIDER_DAILY_BUDGET > 0
        ? withDailyBudget(instrumented, {
            limit: config.PROVIDER_DAILY_BUDGET,
            counter: redis ? redisCallCounter(redis, config.REDIS_KEY_PREFIX) : memoryCallCounter(),
            clock,
            log,
            report: (used, limit) => {
              metrics.providerDailyBudgetUsed.set(used);
              metrics.providerDailyBudgetLimit.set(limit);
            },
          })
        : instrumented;
    if (sandbox) closers.push(() => sandbox.close());

    const audit = new AuditChain(config.AUDIT_CHAIN_KEY ?? secrets!.auditChainKey);
    const keyring = parseMasterKeys(config.REALNAME_MASTER_KEY ?? secrets!.masterKey);
    await refuseRetiredMasterKeys(database.db, keyring);
    const blindIndex = new BlindIndex(config.REALNAME_INDEX_KEY ?? secrets!.indexKey, clock);
    const db = database.db;
    const vault = new PersonalDataVault(db, keyring, clock);
    const gateCache = new GateCache<GateFacts>(config.GATE_CACHE_ENTRIES, clock);
    // Every transition announces `userStatus`, on every replica: a cached gate answer goes at once,
    // on this replica before its publish returns.
    const bus = invalidatingLocally(broker, gateCache);
    const unlistenGate = await broker.listen('userStatus', undefined, ({ userId }) => gateCache.invalidate(userId));
    // Notices published while the broker was away are lost: forget everything instead.
    const unlistenGateReconnect = broker.onReconnect(() => gateCache.clear());
    closers.unshift(async () => {
      unlistenGate();
      unlistenGateReconnect();
    });
    const outbox = new WebhookOutbox(config.WEBHOOK_URL ? { maxAgeHours: config.WEBHOOK_MAX_AGE_HOURS } : undefined);
    const webhooks = new WebhookService({
      db,
      audit,
      outbox,
      settings: config.WEBHOOK_URL
        ? {
            url: config.WEBHOOK_URL,
            secret: config.WEBHOOK_SECRET!,
            timeoutMs: config.WEBHOOK_TIMEOUT_MS,
            maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
            renewalDays: config.IDENTITY_RENEWAL_DAYS,
          }
        : undefined,
      clock,
      log,
      onAttempt: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
    });
    const accessLog = new AccessLog(db, audit, clock);
    const renewal = { renewalDays: config.IDENTITY_RENEWAL_DAYS, graceDays: config.IDENTITY_RENEWAL_GRACE_DAYS };
    const authStatus = new AuthStatusService({
      db,
      lockout: { failures: config.LOCKOUT_FAILURES, windowSeconds: config.LOCKOUT_WINDOW_SECONDS },
      renewal,
      mode: provider.mode,
      clock,
      accessLog,
      cache: gateCache,
    });
    const denylist = new DenylistService(db, blindIndex, bus, audit, outbox, clock, log);
    const limitsStore = redis && { client: redis, prefix: config.REDIS_KEY_PREFIX };
    const guard = denylist.guard(createStartGuard(
      authStatus,
      { perUser: config.START_LIMIT_PER_USER, perIp: config.START_LIMIT_PER_IP, perIdNumber: config.START_LIMIT_PER_ID_NUMBER, windowSeconds: config.START_LIMIT_WINDOW_SECONDS },
      limitsStore,
      clock,
    ));
    const results = new VerificationResultService({
      db,
      provider,
      vault,
      bus,
      audit,
      outbox,
      settings: {
        identityValidityDays: config.IDENTITY_VALIDITY_DAYS,
        maxAccountsPerIdentity: config.IDENTITY_MAX_ACCOUNTS,
        faceImageRetentionDays: config.FACE_IMAGE_RETENTION_DAYS,
        reconcileAfterSeconds: config.RECONCILE_AFTER_SECONDS,
        reconcileIntervalSeconds: config.RECONCILE_INTERVAL_SECONDS,
      },
      clock,
      log,
    });
    const verifications = new VerificationService({
      db,
      provider,
      vault,
      blindIndex,
      bus,
      audit,
      guard,
      settings: {
        mode: provider.mode,
        publicBaseUrl,
        returnUrlOrigins: config.RETURN_URL_ORIGINS,
        ttlMinutes: config.VERIFICATION_TTL_MINUTES,
        renewal,
        acceptedDocuments: config.ACCEPTED_DOCUMENTS,
      },
      clock,
      log,
      accessLog,
    });
    const services = {
      verifications,
      results,
      authStatus,
      watch: new VerificationWatch(db, bus),
      faceCaptures: new FaceCaptureService({ verifications, results, provider, vault, publicBaseUrl, clock, log }),
      vault,
      personalData: new PersonalDataService({
        db,
        vault,
        bus,
        audit,
        outbox,
        clock,
        log,
        backups: { retentionDays: config.BACKUP_RETENTION_DAYS, masterKeyVersions: keyring.versions() },
        limit: createPersonalDataLimiter({ perUser: config.PERSONAL_DATA_LIMIT_PER_USER, windowSeconds: config.PERSONAL_DATA_LIMIT_WINDOW_SECONDS }, limitsStore),
      }),
      accessLog,
      retention: new RetentionService(db, audit, { failedRetentionDays: config.FAILED_RETENTION_DAYS, identityRenewalGraceDays: config.IDENTITY_RENEWAL_GRACE_DAYS }, clock),
      reviews: new ReviewService(
        db,
        vault,
        bus,
        audit,
        outbox,
        { approvalsRequired: config.REVIEW_TWO_PERSON ? 2 : 1, identityValidityDays: config.IDENTITY_VALIDITY_DAYS, maxAccountsPerIdentity: config.IDENTITY_MAX_ACCOUNTS },
        clock,
        log,
        blindIndex,
        guard,
      ),
      support: new SupportService({
        db,
        vault,
        blindIndex,
        authStatus,
        bus,
        audit,
        outbox,
        revealLimit: { perOperator: config.REVEAL_LIMIT_PER_OPERATOR, windowSeconds: config.REVEAL_LIMIT_WINDOW_SECONDS },
        redis: limitsStore,
        clock,
        log,
      }),
      denylist,
      stats: new StatsService(db, clock),
      webhooks,
    };

    watchReviewQueue(metrics.registry, () => services.stats.reviewQueue());
    const jwtSecret = config.AUTH_JWT_SECRET ?? secrets?.jwtSecret;
    const readiness = createReadiness({ database: database.ping, pubsub: bus.ping, pendingMigrations: database.pendingMigrations });
    metrics.observe({
      openVerifications: async () => {
        // Past expiry by two reconciler rounds: the reconciler should have closed it by now.
        const overdueBefore = new Date(clock().getTime() - 2 * config.RECONCILE_INTERVAL_SECONDS * 1000);
        const counts = await verificationRepository.countOpen(db, overdueBefore);
        return { open: Number(counts.open), overdue: Number(counts.overdue) };
      },
      gateCache: () => gateCache.stats,
      databasePool: database.poolUsage,
      ready: async () => (await readiness.check()).ready,
      webhookOutbox: async () => {
        const { pending, failed, oldestPendingAt } = await webhooks.backlog();
        return { pending, failed, oldestPendingAgeSeconds: oldestPendingAt ? Math.max(0, (clock().getTime() - oldestPendingAt.getTime()) / 1000) : 0 };
      },
    });
    const http = await createHttpServer(
      server,
      {
        production: config.NODE_ENV === 'production',
        corsOrigins: config.CORS_ORIGINS,
        trustedProxies: config.TRUSTED_PROXIES,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        https: publicBaseUrl.startsWith('https:'),
        metricsToken: config.METRICS_TOKEN,
        metricsPort: config.METRICS_PORT,
        metricsHost: config.METRICS_HOST,
        socketCaps: {
          subscriptionsPerSocket: config.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
          socketsPerUser: config.WS_MAX_SOCKETS_PER_USER,
          socketsPerAddress: config.WS_MAX_SOCKETS_PER_IP,
        },
      },
      {
        schema: await buildRealnameSchema(),
        services,
        authenticate: rememberVerifiedTokens(
          createAuthenticator({
            secret: config.AUTH_JWT_SECRET ?? (config.AUTH_JWKS_URL ? undefined : secrets!.jwtSecret),
            jwksUrl: config.AUTH_JWKS_URL,
            issuer: config.AUTH_ISSUER,
            audience: config.AUTH_AUDIENCE,
            maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_SECONDS,
          }),
        ),
        readiness,
        metrics,
        log,
        devSignIn: config.NODE_ENV === 'production' || !jwtSecret ? undefined : { secret: jwtSecret, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE },
      },
    );

    const auditSealer = every(1000, async () => {
      await services.accessLog.seal();
    }, log);
    // The head leaves the database every minute (a log line an operator ships elsewhere, a gauge):
    // `npm run audit:verify -- --head <seq>:<hash>` later proves nothing up to it was dropped or rebuilt.
    const publishAuditHead = async () => {
      const head = await audit.head(db);
      if (!head) return;
      log.info({ auditHead: head }, 'audit chain head');
      metrics.auditChainHeadSeq.set(head.seq);
    };
    const auditHead = every(AUDIT_HEAD_INTERVAL_MS, publishAuditHead, log);
    const retention = every(PURGE_INTERVAL_MS, async () => {
      await services.retention.purge();
    }, log);
    // Each run's lines share one id, as a request's do, and its statements and provider calls one trace.
    const reconciler = every(config.RECONCILE_INTERVAL_SECONDS * 1000, () => inSpan('reconcile', {}, () => runInScope(`reconcile-${randomUUID()}`, async () => {
      const outcome = await results.reconcile().catch((error: unknown) => {
        metrics.reconcilerRuns.inc({ result: 'error' });
        throw error;
      });
      metrics.reconcilerRuns.inc({ result: 'ok' });
      metrics.reconciled.inc({ outcome: 'checked' }, outcome.checked);
      metrics.reconciled.inc({ outcome: 'settled' }, outcome.settled);
      metrics.reconciled.inc({ outcome: 'expired' }, outcome.expired);
    })), log);

    // Only with WEBHOOK_URL: without it nothing is written to the outbox either.
    const webhookDelivery = webhooks.enabled
      ? every(config.WEBHOOK_POLL_INTERVAL_SECONDS * 1000, () => runInScope(`webhooks-${randomUUID()}`, async () => {
          await webhooks.deliverDue();
        }), log)
      : undefined;
    const lifecycleSweep = webhooks.enabled
      ? every(LIFECYCLE_SWEEP_INTERVAL_MS, () => runInScope(`lifecycle-sweep-${randomUUID()}`, async () => {
          const written = await webhooks.sweepLifecycle();
          log.info({ renewable: written.renewable, expired: written.expired }, 'lifecycle sweep');
        }), log)
      : undefined;

    log.info({ port, database: database.kind, pubsub: bus.kind, provider: provider.mode }, 'realname listening');

    let closing: Promise<void> | undefined;
    return {
      port,
      url: `http://127.0.0.1:${port}`,
      metricsUrl: http.metricsUrl,
      /** What runs every minute; tests call it rather than wait. */
      publishAuditHead,
      config,
      db,
      bus,
      /** The chain every service here appends to, under this app's AUDIT_CHAIN_KEY. */
      audit,
      services,
      sandbox,
      metrics,
      readiness,
      jwtSecret: config.AUTH_JWT_SECRET ?? secrets?.jwtSecret,
      /**
       * Graceful: turn unready and keep serving for SHUTDOWN_DELAY_SECONDS (balancers take the
       * replica out), stop the reconciler, drain HTTP and sockets, then close pools.
       */
      close: () =>
        (closing ??= (async () => {
          readiness.beginShutdown();
          if (config.SHUTDOWN_DELAY_SECONDS > 0) {
            log.info({ seconds: config.SHUTDOWN_DELAY_SECONDS }, 'unready; draining before stop');
            await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DELAY_SECONDS * 1000));
          }
          await Promise.all([reconciler.stop(), retention.stop(), auditSealer.stop(), auditHead.stop(), webhookDelivery?.stop(), lifecycleSweep?.stop()]);
          await http.stop();
          // Reads answered while draining queued their audit events: chain them before the pool goes.
          await services.accessLog.seal().catch((error: Error) => log.error({ err: { type: error.name } }, 'audit seal at shutdown failed'));
          for (const close of closers) await close().catch(() => {});
        })()),
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => {});
    throw error;
  }
}

function embeddedSecrets(config: Config, log: Logger) {
  if ((config.AUTH_JWT_SECRET || config.AUTH_JWKS_URL) && config.REALNAME_MASTER_KEY && config.REALNAME_INDEX_KEY && config.AUDIT_CHAIN_KEY) return undefined;
  const { secrets, created } = loadOrCreateSecrets(config.DATA_DIR);
  log.warn({ dataDir: config.DATA_DIR, created }, 'using keys from DATA_DIR/secrets.json: set AUTH_JWT_SECRET, REALNAME_MASTER_KEY, REALNAME_INDEX_KEY and AUDIT_CHAIN_KEY in production');
  return secrets;
}

async function connectProvider(config: Config, publicBaseUrl: string, log: Logger): Promise<{ provider: FaceVerifyProvider; sandbox?: Sandbox }> {
  const common = { timeoutMs: config.PROVIDER_TIMEOUT_MS, logger: log, fetchFaceImages: config.FACE_IMAGE_RETENTION_DAYS > 0, model: config.ALIYUN_LIVENESS_MODEL };
  if (config.provider === 'aliyun') {
    const provider = createAliyunProvider({
      ...common,
      mode: 'LIVE',
      accessKeyId: config.ALIYUN_ACCESS_KEY_ID!,
      accessKeySecret: config.ALIYUN_ACCESS_KEY_SECRET!,
      sceneId: config.ALIYUN_SCENE_ID!,
      endpoints: [config.ALIYUN_ENDPOINT, config.ALIYUN_FAILOVER_ENDPOINT],
    });
    return { provider };
  }
  if (config.NODE_ENV === 'production') {
    log.error({ provider: 'sandbox', allowSandbox: true }, 'ALLOW_SANDBOX=true: this production deployment verifies NOBODY for real; its identities are SANDBOX and never pass a LIVE gate');
  }
  const sandbox = config.SANDBOX_URL
    ? undefined
    : await startSandbox({
        port: config.SANDBOX_PORT,
        host: '127.0.0.1',
        accessKeyId: config.SANDBOX_ACCESS_KEY_ID,
        accessKeySecret: config.SANDBOX_ACCESS_KEY_SECRET,
        // Aliyun calls back https only; a local run without an https address is the one exception.
        allowHttpCallbacks: !publicBaseUrl.startsWith('https:'),
      });
  const provider = createAliyunProvider({
    ...common,
    mode: 'SANDBOX',
    fallbackMetaInfo: sandboxMetaInfo,
    accessKeyId: config.SANDBOX_ACCESS_KEY_ID,
    accessKeySecret: config.SANDBOX_ACCESS_KEY_SECRET,
    sceneId: config.SANDBOX_SCENE_ID,
    endpoints: [config.SANDBOX_URL ?? sandbox!.url, ...(config.SANDBOX_FAILOVER_URL ? [config.SANDBOX_FAILOVER_URL] : [])],
  });
  return { provider, sandbox };
}

/** Runs `task` every `ms`, never overlapping itself; stop() waits for a run in progress. */
function every(ms: number, task: () => Promise<void>, log: Logger) {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= task()
      .catch((error: Error) => log.error({ err: { type: error.name } }, 'periodic task failed'))
      .finally(() => (running = undefined));
  }, ms);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
