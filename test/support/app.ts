import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createApp, type App, type AppOverrides } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { createLogger } from '../../src/logger.js';
import { AuditChain } from '../../src/services/audit-log.js';
import { createTestDatabase, TEST_REDIS_URL } from './database.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
export const TEST_MASTER_KEY = `v1:${Buffer.alloc(32, 7).toString('base64')}`;
export const TEST_INDEX_KEY = Buffer.alloc(32, 9).toString('base64');
export const TEST_AUDIT_CHAIN_KEY = Buffer.alloc(32, 5).toString('base64');
/** The chain a test app writes (under TEST_AUDIT_CHAIN_KEY), for tests that write or check one without an app. */
export const testAuditChain = () => new AuditChain(TEST_AUDIT_CHAIN_KEY);
export const TEST_ISSUER = 'https://id.weiai.test';
export const TEST_AUDIENCE = 'realname';
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';

/** What production insists on, besides what startTestApp sets anyway (keys, DATABASE_URL). */
export const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  PUBLIC_BASE_URL: 'https://realname.example',
  PROVIDER: 'sandbox',
  ALLOW_SANDBOX: 'true',
  AUTH_ISSUER: TEST_ISSUER,
  AUTH_AUDIENCE: TEST_AUDIENCE,
  METRICS_TOKEN: TEST_METRICS_TOKEN,
  AUDIT_CHAIN_KEY: TEST_AUDIT_CHAIN_KEY,
};

/** Every log line the app wrote, for assertions that no PII reaches a log. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** 'postgres' (default): a fresh database cloned from the template, and Redis. 'embedded': PGlite in memory, in-process bus. */
  storage?: 'postgres' | 'embedded';
  databaseUrl?: string;
  overrides?: AppOverrides;
}

export interface TestApp extends App {
  logs: LogCapture;
  stop(): Promise<void>;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const storage = options.storage ?? 'postgres';
  const database = storage === 'postgres' && !options.databaseUrl ? await createTestDatabase() : undefined;
  const logs = new LogCapture();
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    SANDBOX_PORT: '0',
    LOG_LEVEL: 'info',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    REALNAME_MASTER_KEY: TEST_MASTER_KEY,
    REALNAME_INDEX_KEY: TEST_INDEX_KEY,
    AUDIT_CHAIN_KEY: TEST_AUDIT_CHAIN_KEY,
    RECONCILE_INTERVAL_SECONDS: '3600',
    ...(storage === 'postgres'
      ? { DATABASE_URL: options.databaseUrl ?? database!.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:` }
      : {}),
    ...options.env,
  });
  const overrides: AppOverrides = { logger: createLogger('info', logs), ...options.overrides };
  if (storage === 'embedded' && !overrides.database && !options.env?.DATA_DIR) {
    const { openPglite } = await import('../../src/db/database.js');
    overrides.database = await openPglite();
  }
  const app = await createApp(config, overrides);
  return {
    ...app,
    logs,
    stop: async () => {
      await app.close();
      if (storage === 'embedded' && overrides.database && !options.overrides?.database) await overrides.database.close();
      await database?.drop();
    },
  };
}

export async function tokenFor(userId: string, { scope, expiresIn = '1h', secret = TEST_JWT_SECRET }: { scope?: string; expiresIn?: string | number; secret?: string } = {}) {
  return new SignJWT(scope ? { scope } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuer(TEST_ISSUER)
    .setAudience(TEST_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

export const serviceToken = () => tokenFor('letter-backend', { scope: 'realname:service' });
/** The privacy back office: the service scope plus `realname:redact`, for `redactUser`. */
export const redactorToken = () => tokenFor('privacy-office', { scope: 'realname:service realname:redact' });

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, any>; path?: string[] }[];
}

export async function gql<T = Record<string, any>>(
  app: { url: string },
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T> & { status: number }> {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, ...((await res.json()) as GraphQLResponse<T>) };
}

export function wsClient(app: { url: string }, token?: string): Client {
  return createClient({
    url: `${app.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Collects a subscription's events until it completes or errors. */
export function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown>) {
  const events: T[] = [];
  let errors: unknown;
  const done = new Promise<void>((resolve) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) errors = value.errors;
          if (value.data) events.push(value.data as T);
        },
        error: (error) => {
          errors = error;
          resolve();
        },
        complete: () => resolve(),
      },
    );
  });
  return {
    events,
    done,
    get errors() {
      return errors;
    },
    async waitFor(predicate: (events: T[]) => boolean, timeoutMs = 10_000) {
      const started = Date.now();
      while (!predicate(events)) {
        if (Date.now() - started > timeoutMs) throw new Error(`timed out; got ${JSON.stringify(events)} ${JSON.stringify(errors)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

export const START = /* GraphQL */ `
  mutation Start($input: StartVerificationInput!) {
    startVerification(input: $input) {
      id status mode certifyUrl certifyId maskedName maskedIdCardNumber failureReason { code message } createdAt expiresAt completedAt
    }
  }
`;
export const CONSENT_VERSION = CONSENT_TERMS.version;
