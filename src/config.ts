import { z } from 'zod';
import { DOCUMENT_TYPES } from './domain/documents.js';
import { DEFAULT_LIVENESS_MODEL, LIVENESS_MODELS } from './providers/liveness.js';

const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const flag = z.enum(['true', 'false', '']).default('false').transform((s) => s === 'true');
const optional = z
  .string()
  .optional()
  .transform((s) => (s === '' ? undefined : s));

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().default('0.0.0.0'),
    PORT: int(4000),
    PUBLIC_BASE_URL: z.url().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** After SIGTERM: answer /readyz 503 this long, still serving, so balancers stop sending first. */
    SHUTDOWN_DELAY_SECONDS: int(0),

    DATA_DIR: z.string().default('./data'),
    DATABASE_URL: optional.pipe(z.url().optional()),
    REDIS_URL: optional.pipe(z.url().optional()),
    /** Namespaces every Redis key and channel, so several deployments (or test runs) can share one Redis. */
    REDIS_KEY_PREFIX: z.string().regex(/^[\w:.-]*$/).default('realname:'),

    AUTH_JWT_SECRET: optional.pipe(z.string().min(32).optional()),
    AUTH_JWKS_URL: optional.pipe(z.url().optional()),
    AUTH_ISSUER: optional,
    AUTH_AUDIENCE: optional,
    /** The longest lifetime (`exp` − `iat`) a bearer token may claim. */
    AUTH_MAX_TOKEN_AGE_SECONDS: int(24 * 3600, 60),
    REALNAME_MASTER_KEY: optional,
    REALNAME_INDEX_KEY: optional.pipe(z.string().min(32).optional()),

    /** Keys the audit chain's HMAC; generated into DATA_DIR when embedded. */
    AUDIT_CHAIN_KEY: optional.pipe(z.string().min(32).optional()),
    /** `/metrics` answers only with `Authorization: Bearer <METRICS_TOKEN>`… */
    METRICS_TOKEN: optional.pipe(z.string().min(16).optional()),
    /** …or is served only on this port, bound to METRICS_HOST (an internal address). */
    METRICS_PORT: optional.pipe(z.coerce.number<string | undefined>().int().min(0).max(65535).optional()),
    METRICS_HOST: z.string().default('127.0.0.1'),
    /**
     * OpenTelemetry traces over OTLP/HTTP to this base URL (`/v1/traces` is appended); off when unset,
     * and then nothing of the SDK is loaded. The exporter reads the other OTEL_EXPORTER_OTLP_* itself.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: optional.pipe(z.url().optional()),
    OTEL_SDK_DISABLED: flag,
    OTEL_SERVICE_NAME: z.string().min(1).default('realname'),
    OTEL_TRACES_SAMPLER: z
      .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
      .default('parentbased_always_on'),
    /** The ratio of the `traceidratio` samplers. */
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),

    PROVIDER: z.enum(['aliyun', 'sandbox']).optional(),
    /** Staging only: lets NODE_ENV=production run on the sandbox emulator (logged loudly at start). */
    ALLOW_SANDBOX: flag,
    ALIYUN_ACCESS_KEY_ID: optional,
    ALIYUN_ACCESS_KEY_SECRET: optional,
    ALIYUN_SCENE_ID: optional.pipe(z.string().regex(/^\d+$/, 'must be numeric').optional()),
    ALIYUN_ENDPOINT: z.url().default('https://cloudauth.cn-shanghai.aliyuncs.com'),
    ALIYUN_FAILOVER_ENDPOINT: z.url().default('https://cloudauth.cn-beijing.aliyuncs.com'),
    PROVIDER_TIMEOUT_MS: int(5000, 100),
    /** InitFaceVerify's `Model`, one of Aliyun's documented values (its default is LIVENESS; it recommends MOVE_ACTION). */
    ALIYUN_LIVENESS_MODEL: z.enum(LIVENESS_MODELS).default(DEFAULT_LIVENESS_MODEL),

    SANDBOX_PORT: int(4001),
    SANDBOX_URL: optional.pipe(z.url().optional()),
    SANDBOX_FAILOVER_URL: optional.pipe(z.url().optional()),
    SANDBOX_ACCESS_KEY_ID: z.string().default('sandbox-access-key-id'),
    SANDBOX_ACCESS_KEY_SECRET: z.string().default('sandbox-access-key-secret'),
    SANDBOX_SCENE_ID: z.string().regex(/^\d+$/).default('1000000001'),

    RETURN_URL_ORIGINS: list,
    CORS_ORIGINS: list,
    TRUSTED_PROXIES: list,
    BODY_LIMIT_BYTES: int(64 * 1024, 1024),
    /** graphql-ws caps, per replica: subscriptions on one socket, sockets of one user, sockets from one address (IPv6: its /64). */
    WS_MAX_SUBSCRIPTIONS_PER_SOCKET: int(20, 1),
    WS_MAX_SOCKETS_PER_USER: int(10, 1),
    WS_MAX_SOCKETS_PER_IP: int(200, 1),

    START_LIMIT_PER_USER: int(10, 1),
    START_LIMIT_PER_IP: int(30, 1),
    START_LIMIT_PER_ID_NUMBER: int(5, 1),
    START_LIMIT_WINDOW_SECONDS: int(3600, 1),
    /** exportMyData and deleteMyData, each per user per window. */
    PERSONAL_DATA_LIMIT_PER_USER: int(5, 1),
    PERSONAL_DATA_LIMIT_WINDOW_SECONDS: int(3600, 1),
    /** Provider calls per (Beijing) day across replicas; past it starts get PROVIDER_UNAVAILABLE. 0: no cap. */
    PROVIDER_DAILY_BUDGET: int(0),
    LOCKOUT_FAILURES: int(5, 1),
    LOCKOUT_WINDOW_SECONDS: int(24 * 3600, 1),

    /** Documents verified online (comma-separated DocumentType values); the others go to a manual review. */
    ACCEPTED_DOCUMENTS: z
      .string()
      .default(DOCUMENT_TYPES.join(','))
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
      .pipe(z.array(z.enum(DOCUMENT_TYPES)).min(1)),
    IDENTITY_MAX_ACCOUNTS: int(1, 1),
    IDENTITY_VALIDITY_DAYS: int(365, 1),
    /** A held identity may be renewed (one face check, no retyping) from this many days before its expiry… */
    IDENTITY_RENEWAL_DAYS: int(30, 1),
    /** An expired identity's sealed name and number are kept this long for a renewal (issue #13), then purged. */
    IDENTITY_RENEWAL_GRACE_DAYS: int(30),
    /** Users whose gate facts each replica keeps in memory (0 turns the cache off). */
    GATE_CACHE_ENTRIES: int(50_000),
    VERIFICATION_TTL_MINUTES: int(30, 1),
    RECONCILE_INTERVAL_SECONDS: int(60, 1),
    RECONCILE_AFTER_SECONDS: int(180, 0),
    FACE_IMAGE_RETENTION_DAYS: int(0),
    FAILED_RETENTION_DAYS: int(90, 1),
    /**
     * The longest any backup of the database is kept. A master key version is retired only this long
     * after its last data key left it, and deletion receipts promise backups unreadable from then on.
     */
    BACKUP_RETENTION_DAYS: int(30, 1),
    /** An approval in a manual review takes two different operators. */
    REVIEW_TWO_PERSON: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    REVEAL_LIMIT_PER_OPERATOR: int(20, 1),
    REVEAL_LIMIT_WINDOW_SECONDS: int(3600, 1),

    /** Where signed lifecycle events go (the letter platform); no webhooks when unset. */
    WEBHOOK_URL: optional.pipe(z.url().optional()),
    /** Signs every delivery (HMAC-SHA256); the receiver holds the same secret. */
    WEBHOOK_SECRET: optional.pipe(z.string().min(32).optional()),
    WEBHOOK_TIMEOUT_MS: int(5000, 100),
    /** A delivery is given up (FAILED, replayable by operators) after this many attempts… */
    WEBHOOK_MAX_ATTEMPTS: int(16, 1),
    /** …or this long after the event, whichever comes first. */
    WEBHOOK_MAX_AGE_HOURS: int(24, 1),
    /** How often each replica looks for due deliveries. */
    WEBHOOK_POLL_INTERVAL_SECONDS: int(5, 1),
  })
  .superRefine((env, ctx) => {
    const production = env.NODE_ENV === 'production';
    const problem = (name: keyof typeof env, message: string) => ctx.addIssue({ code: 'custom', path: [name], message });
    const need = (name: keyof typeof env, why: string) => {
      if (!env[name]) problem(name, `required ${why}`);
    };
    const sandbox = providerOf(env) === 'sandbox';
    if (production) {
      if (!env.AUTH_JWKS_URL) need('AUTH_JWT_SECRET', 'when NODE_ENV=production (or set AUTH_JWKS_URL)');
      need('AUTH_ISSUER', 'when NODE_ENV=production (tokens minted for another service must not pass)');
      need('AUTH_AUDIENCE', 'when NODE_ENV=production (tokens minted for another service must not pass)');
      need('REALNAME_MASTER_KEY', 'when NODE_ENV=production');
      need('REALNAME_INDEX_KEY', 'when NODE_ENV=production');
      need('AUDIT_CHAIN_KEY', 'when NODE_ENV=production (an unkeyed chain can be recomputed by whoever writes the table)');
      need('DATABASE_URL', 'when NODE_ENV=production (the embedded PGlite is for development)');
      need('PUBLIC_BASE_URL', 'when NODE_ENV=production (Aliyun calls back on it)');
      if (env.METRICS_TOKEN === undefined && env.METRICS_PORT === undefined) {
        problem('METRICS_TOKEN', 'required when NODE_ENV=production (or serve /metrics on an internal METRICS_PORT)');
      }
      // The callback token travels to us in the CallbackUrl: only the sandbox emulator, on a staging
      // network, may call back over plain http.
      if (env.PUBLIC_BASE_URL && !env.PUBLIC_BASE_URL.startsWith('https:') && !(sandbox && env.ALLOW_SANDBOX)) {
        problem('PUBLIC_BASE_URL', 'must be https: when NODE_ENV=production');
      }
      if (env.AUTH_JWKS_URL && !env.AUTH_JWKS_URL.startsWith('https:')) problem('AUTH_JWKS_URL', 'must be https: when NODE_ENV=production');
    }
    if (env.WEBHOOK_URL) {
      need('WEBHOOK_SECRET', 'when WEBHOOK_URL is set (receivers check every delivery against it)');
      if (production && !env.WEBHOOK_URL.startsWith('https:')) problem('WEBHOOK_URL', 'must be https: when NODE_ENV=production');
    }
    if (!sandbox) {
      for (const name of ['ALIYUN_ACCESS_KEY_ID', 'ALIYUN_ACCESS_KEY_SECRET', 'ALIYUN_SCENE_ID'] as const)
        need(name, 'for the Aliyun provider');
    } else if (production && !env.ALLOW_SANDBOX) {
      problem('PROVIDER', 'the sandbox emulator is refused when NODE_ENV=production: set ALIYUN_*, or ALLOW_SANDBOX=true on a staging deployment');
    }
  });

function providerOf(env: { PROVIDER?: 'aliyun' | 'sandbox'; ALIYUN_ACCESS_KEY_ID?: string }) {
  return env.PROVIDER ?? (env.ALIYUN_ACCESS_KEY_ID ? 'aliyun' : 'sandbox');
}

export type Env = z.infer<typeof schema>;
export type Config = Readonly<Env & { provider: 'aliyun' | 'sandbox' }>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Traces are exported (and the OpenTelemetry SDK loaded) only with an endpoint, and not when OTEL_SDK_DISABLED=true. */
export const tracesEnabled = (config: Config) => config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined && !config.OTEL_SDK_DISABLED;

/** Reads the environment once; throws a ConfigError naming every bad variable. Values never echoed. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const value = parsed.data;
  return Object.freeze({
    ...value,
    provider: providerOf(value),
  });
}
