import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import cors from 'cors';
import express, { type Request, type Response } from 'express';
import helmet from 'helmet';
import type { GraphQLSchema } from 'graphql';
import { DomainError } from '../domain/errors.js';
import { createContext, type GraphQLContext, type Services } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import { NoSubscriptionOverHttpRule, parseOptions, validationRules } from '../graphql/limits.js';
import type { Logger } from '../logger.js';
import type { Authenticator } from './auth.js';
import { callbackRoute } from './callback.route.js';
import { faceCaptureRoute } from './face-capture.route.js';
import { graphqlRoute, isGraphQLPath, type Step } from './graphql-route.js';
import { currentScope, REQUEST_ID, runInScope } from '../telemetry/context.js';
import { healthRoutes, type Readiness } from './health.js';
import type { Metrics } from './metrics.js';
import { graphqlMetricsPlugin } from './request-metrics.js';
import { attachGraphQLWebSocket, type SocketCaps } from './websocket.js';
import { clientMeta } from './client-meta.js';
import { browserToGraphiql, embeddedPages, operatorConsolePages, type DevSignIn } from './pages.js';

export interface HttpOptions {
  production: boolean;
  corsOrigins: readonly string[];
  trustedProxies: readonly string[];
  bodyLimitBytes: number;
  /** HSTS is sent only when browsers reach us over https. */
  https: boolean;
  /** `/metrics` needs `Authorization: Bearer <metricsToken>`, or is served only on `metricsPort`. */
  metricsToken?: string;
  metricsPort?: number;
  metricsHost: string;
  socketCaps: SocketCaps;
}

export interface HttpDeps {
  schema: GraphQLSchema;
  services: Services;
  authenticate: Authenticator;
  readiness: Readiness;
  metrics: Metrics;
  log: Logger;
  /** Signs the demo's development tokens; given only outside production. */
  devSignIn?: DevSignIn;
}

export interface HttpServer {
  server: Server;
  /** Where `/metrics` is served when METRICS_PORT is set. */
  metricsUrl?: string;
  /** Stops accepting, lets in-flight requests finish, closes sockets. */
  stop(): Promise<void>;
}

/** Serves on `server`, which may already be listening (the port decides PUBLIC_BASE_URL's default). */
export async function createHttpServer(server: Server, options: HttpOptions, deps: HttpDeps): Promise<HttpServer> {
  const starting = server.listeners('request');
  const { log } = deps;
  const app = express();
  // X-Forwarded-For is believed only when it comes from a listed proxy.
  app.set('trust proxy', options.trustedProxies.length ? [...options.trustedProxies] : false);
  app.disable('x-powered-by');
  const helmetHeaders = securityHeaders(options.https);
  app.use(helmetHeaders);

  const authenticate = async (authorization: string | undefined) => {
    if (!authorization) return { actor: null, authError: null };
    try {
      return { actor: await deps.authenticate(authorization), authError: null };
    } catch (error) {
      if (error instanceof DomainError) return { actor: null, authError: error };
      throw error;
    }
  };
  const contextFor = async (authorization: string | undefined, meta: { clientIp?: string; userAgent?: string }) =>
    createContext(deps.services, currentScope()?.requestId ?? randomUUID(), await authenticate(authorization), meta);

  // The upgrade request and `/graphql` never pass through express: lend them express's request
  // prototype so that `req.ip` applies the same `trust proxy` rule to X-Forwarded-For.
  const asExpress = (req: IncomingMessage) => Object.create(app.request, { headers: { value: req.headers }, socket: { value: req.socket } }) as Request;
  // With no proxy trusted the socket's address is the answer: skip parsing X-Forwarded-For for nothing.
  const requestMeta = options.trustedProxies.length ? (req: IncomingMessage) => clientMeta(asExpress(req)) : clientMeta;
  const ws = attachGraphQLWebSocket(server, { schema: deps.schema, introspection: !options.production, maxPayloadBytes: options.bodyLimitBytes, authenticate: deps.authenticate, contextFor, requestMeta, log, metrics: deps.metrics, caps: options.socketCaps });

  const apollo = new ApolloServer<GraphQLContext>({
    schema: deps.schema,
    introspection: !options.production,
    hideSchemaDetailsFromClientErrors: options.production,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    stopOnTerminationSignals: false, // main.ts owns shutdown: Apollo's handler would re-raise the signal
    validationRules: [...validationRules({ introspection: !options.production }), NoSubscriptionOverHttpRule],
    parseOptions,
    formatError: (formatted, error) => formatError(log, formatted, error),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // Off everywhere: its explorer comes from a CDN abroad. Outside production /graphiql is ours.
      ApolloServerPluginLandingPageDisabled(),
      // No @cacheControl hints exist here, and the plugin's per-field hook made Apollo wrap every
      // resolver of every query to compute a policy that always came out no-store.
      ApolloServerPluginCacheControlDisabled(),
      { async serverWillStart() { return { drainServer: () => ws.dispose() }; } },
      {
        async requestDidStart({ contextValue }) {
          return {
            async willSendResponse({ response }) {
              response.http.headers.set('x-request-id', contextValue.requestId);
              // Answers carry personal data: never cached (what Apollo's cache-control plugin sent for them).
              response.http.headers.set('cache-control', 'no-store');
            },
          };
        },
      },
      graphqlMetricsPlugin(deps.metrics),
    ],
  });
  await apollo.start();

  const corsPolicy = cors({ origin: [...options.corsOrigins], credentials: false, maxAge: 600 });
  // The WeChat path's photo (up to 1 MB) has its own route and limit, ahead of the 64 KiB one below.
  app.use('/face-captures', corsPolicy, faceCaptureRoute(deps.services.faceCaptures, deps.authenticate, log));
  const limit = options.bodyLimitBytes;
  // body-parser answers 413 only after reading the whole body off the socket: refuse a declared
  // oversize at once, and close the connection rather than drain it.
  const declaredSize: Step = (req, res, next) => {
    if (Number(req.headers['content-length'] ?? 0) <= limit) return next();
    res.setHeader('connection', 'close');
    next(Object.assign(new Error('request entity too large'), { status: 413 }));
  };
  const scoped = (path: (req: IncomingMessage) => string): Step => (req, res, next) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    runInScope(requestId, () => {
      const p = path(req);
      if (!QUIET_PATHS.has(p)) accessLog(log, req, res, p);
      next();
    });
  };
  // While shutting down, no connection is kept for another request: a balancer's next request
  // opens a new one, which the closed listener refuses, so it goes to another replica untouched.
  const draining: Step = (_req, res, next) => {
    if (deps.readiness.shuttingDown) res.setHeader('connection', 'close');
    next();
  };
  app.use(declaredSize, scoped((req) => (req as Request).path), draining);
  healthRoutes(app, deps.readiness);
  const metrics = await serveMetrics(app, options, deps.metrics);
  app.get('/return', (_req, res) => {
    res.type('html').send(RETURN_PAGE);
  });
  app.use(options.production ? operatorConsolePages() : embeddedPages(deps.devSignIn));
  app.use('/callbacks/aliyun', (_req: Request, res: Response, next: () => void) => {
    res.on('finish', () => deps.metrics.callbacks.inc({ outcome: callbackOutcome(res.statusCode) }));
    next();
  });
  app.use('/callbacks/aliyun', express.urlencoded({ extended: false, limit }), callbackRoute(deps.services.results, log));
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'NOT_FOUND' });
  });
  const refuse = refusal(log);
  app.use((error: unknown, _req: Request, res: Response, _next: () => void) => refuse(res, error));

  // `/graphql` on node:http itself, express serving the rest; the same steps in the same order as
  // the routes above would run them (none of those between match `/graphql`).
  const graphql = graphqlRoute({
    apollo,
    steps: [helmetHeaders, declaredSize, scoped(pathOf), draining, ...(options.production ? [] : [browserToGraphiql(asExpress)]), corsPolicy, express.json({ limit })],
    context: (req) => contextFor(req.headers.authorization, requestMeta(req)),
    refuse,
  });

  // Only the "starting" answer goes: the drain plugin's listener, which counts requests in flight so
  // that stopping waits for them, must stay (removing every listener cut in-flight requests at stop).
  for (const listener of starting) server.off('request', listener as () => void);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => (isGraphQLPath(req.url) ? graphql(req, res) : app(req, res)));
  return {
    server,
    metricsUrl: metrics.url,
    stop: async () => {
      await apollo.stop();
      await metrics.close();
    },
  };
}

/**
 * helmet's headers on every response. No page of ours is meant to be framed (the liveness page is
 * Aliyun's), so frame-ancestors is 'none' everywhere; the CSP stops there, because the pages under
 * /demo and /admin bring their own.
 */
function securityHeaders(https: boolean) {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: helmet.contentSecurityPolicy.dangerouslyDisableDefaultSrc, frameAncestors: ["'none'"], baseUri: ["'self'"], objectSrc: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: 365 * 24 * 3600, includeSubDomains: true } : false,
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * `/metrics` on METRICS_PORT only (bound to METRICS_HOST, an internal address), or on the main port
 * behind `Authorization: Bearer <METRICS_TOKEN>`; open only when neither is set (never in production).
 */
async function serveMetrics(app: express.Express, options: HttpOptions, metrics: Metrics): Promise<{ url?: string; close: () => Promise<void> }> {
  const answer = async (_req: Request, res: Response) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
  if (options.metricsPort !== undefined) {
    const internal = express();
    internal.disable('x-powered-by');
    internal.get('/metrics', answer);
    const server = createServer(internal);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.metricsPort, options.metricsHost, resolve);
    });
    const { address, port } = server.address() as AddressInfo;
    return {
      url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  const expected = options.metricsToken === undefined ? undefined : sha256(`Bearer ${options.metricsToken}`);
  app.get('/metrics', (req, res, next) => {
    // Hashed first, so the comparison takes the same time whatever the length sent.
    if (expected && !timingSafeEqual(sha256(req.headers.authorization ?? ''), expected)) {
      res.status(401).set('www-authenticate', 'Bearer').json({ error: 'UNAUTHENTICATED' });
      return;
    }
    next();
  }, answer);
  return { close: async () => {} };
}

/** Body-parser refusals (too large, malformed JSON) and anything thrown outside GraphQL. */
function refusal(log: Logger) {
  return (res: ServerResponse, error: unknown) => {
    const given = (error as { status?: unknown } | null)?.status;
    const status = typeof given === 'number' && given >= 400 && given < 500 ? given : 500;
    if (status === 500) log.error({ err: { type: (error as Error | null)?.name } }, 'http error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ errors: [{ message: status === 413 ? '请求体过大' : '请求无效', extensions: { code } }] }));
  };
}

const pathOf = (req: IncomingMessage) => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/** Probes and scrapes every few seconds would drown the access log. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** One line per request, when it ends; the path only, since query strings can hold tokens. */
function accessLog(log: Logger, req: IncomingMessage, res: ServerResponse, path: string) {
  const started = process.hrtime.bigint();
  const scope = currentScope();
  res.once('close', () => {
    const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
    log.info({ requestId: scope?.requestId, verificationId: scope?.verificationId, method: req.method, path, status: res.statusCode, ms }, 'request');
  });
}

function callbackOutcome(status: number) {
  if (status === 200) return 'accepted';
  if (status === 400) return 'bad_request';
  if (status === 403) return 'refused';
  if (status === 503) return 'unavailable';
  return 'error';
}

const RETURN_PAGE = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>认证已提交</title></head>
<body style="font-family:sans-serif;text-align:center;padding:3em 1em"><h1>认证已提交</h1><p>请返回微爱帮查看认证结果。</p></body></html>`;
