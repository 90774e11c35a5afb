import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { formatError, withoutSuggestions } from '../graphql/errors.js';
import { parseOptions, validationRules } from '../graphql/limits.js';
import type { Logger } from '../logger.js';
import type { RequestMeta } from '../domain/application.js';
import type { Actor } from '../domain/actor.js';
import { actorLabel } from '../domain/actor.js';
import { addressKey } from '../domain/client-address.js';
import { closingIterator } from '../pubsub/closing-iterator.js';
import type { Authenticator } from './auth.js';
import type { Metrics } from './metrics.js';

interface Options {
  schema: GraphQLSchema;
  /** Off in production, together with "Did you mean …?" suggestions: both describe the schema. */
  introspection: boolean;
  maxPayloadBytes: number;
  authenticate: Authenticator;
  contextFor: (authorization: string | undefined, meta: RequestMeta) => Promise<GraphQLContext>;
  /** The client behind the upgrade request, by the same `trust proxy` rule as HTTP. */
  requestMeta: (request: IncomingMessage) => RequestMeta;
  log: Logger;
  metrics: Metrics;
  caps: SocketCaps;
}

/** Per replica: a socket, a user (or service) and a client address (IPv6 by its /64) each get so many. */
export interface SocketCaps {
  subscriptionsPerSocket: number;
  socketsPerUser: number;
  socketsPerAddress: number;
}

/** Not one of graphql-ws's own codes: "too many", as its 4429 is for repeated connection_init. */
export const TOO_MANY_SOCKETS = 4008;

/** Counts open sockets by key; `take` refuses beyond `max`. */
function socketCounter(max: number) {
  const open = new Map<string, number>();
  return {
    take(key: string): boolean {
      const count = open.get(key) ?? 0;
      if (count >= max) return false;
      open.set(key, count + 1);
      return true;
    },
    release(key: string) {
      const count = (open.get(key) ?? 1) - 1;
      if (count > 0) open.set(key, count);
      else open.delete(key);
    },
  };
}

/**
 * graphql-ws on the HTTP server's `/graphql`. Apollo's plugins and validation rules never see this
 * path, so the same token check, limits and error masking are applied here.
 */
export function attachGraphQLWebSocket(server: Server, options: Options) {
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: options.maxPayloadBytes });
  const rules = [...specifiedRules, ...validationRules({ introspection: options.introspection })];
  const documents = checkedDocuments((query) => {
    let document;
    try {
      document = parse(query, parseOptions);
    } catch (error) {
      const message = error instanceof GraphQLError ? error.message : 'invalid query';
      return { errors: [new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
    }
    const errors = validate(options.schema, document, rules, { maxErrors: 10 });
    if (errors.length) return { errors: options.introspection ? errors : errors.map(withoutSuggestions) };
    return { document };
  });
  const expiryTimers = new WeakMap<WebSocket, NodeJS.Timeout>();
  const perAddress = socketCounter(options.caps.socketsPerAddress);
  const perUser = socketCounter(options.caps.socketsPerUser);

  // Counted at the upgrade, before any message: sockets that never authenticate count too.
  wss.on('connection', (socket, request) => {
    const address = addressKey(options.requestMeta(request).clientIp ?? 'unknown');
    if (!perAddress.take(address)) {
      options.log.warn({ cap: 'socketsPerAddress' }, 'graphql-ws: too many sockets from one address');
      socket.close(TOO_MANY_SOCKETS, 'too many connections');
      return;
    }
    socket.once('close', () => perAddress.release(address));
  });

  const disposable = useServer<{ authorization?: unknown }, { actor: Actor; authorization: string; meta: RequestMeta }>(
    {
      schema: options.schema,
      connectionInitWaitTimeout: 5_000,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== 'string') return false;
        try {
          const actor = await options.authenticate(authorization);
          // Gone while its token was checked: graphql-ws has already closed it, and would never
          // call onDisconnect to stop the timer and the count below.
          if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
          const userKey = actorLabel(actor);
          if (!perUser.take(userKey)) {
            options.log.warn({ cap: 'socketsPerUser' }, 'graphql-ws: too many sockets for one user');
            ctx.extra.socket.close(TOO_MANY_SOCKETS, 'too many connections');
            return false;
          }
          ctx.extra.socket.once('close', () => perUser.release(userKey));
          ctx.extra.actor = actor;
          ctx.extra.authorization = authorization;
          ctx.extra.meta = options.requestMeta(ctx.extra.request);
          // graphql-ws keeps `extra` for the socket's life, and with it the upgrade request (its
          // headers and streams, ~1.5 KB a socket); only the meta above is needed from it. Cleared,
          // not deleted: a delete would turn `extra` into a dictionary.
          (ctx.extra as { request?: IncomingMessage }).request = undefined;
          // A socket outliving its token is closed; the client reconnects with a fresh one. A real
          // timer, so wall time like the token check itself (see requireActor).
          if (actor.expiresAt) {
            const ms = Math.max(0, actor.expiresAt.getTime() - Date.now());
            const timer = setTimeout(() => ctx.extra.socket.close(CloseCode.Forbidden, 'token expired'), Math.min(ms, 2 ** 31 - 1));
            timer.unref();
            expiryTimers.set(ctx.extra.socket, timer);
          }
          options.metrics.wsConnections.inc();
          return true;
        } catch (error) {
          if (error instanceof DomainError) return false; // graphql-ws closes with 4403 Forbidden
          throw error;
        }
      },
      onDisconnect: (ctx) => {
        clearTimeout(expiryTimers.get(ctx.extra.socket));
        if (ctx.extra.actor) options.metrics.wsConnections.dec();
      },
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has registered this operation already, so it is among them.
        if (Object.keys(ctx.subscriptions).length > options.caps.subscriptionsPerSocket) {
          const refusal = new DomainError(ErrorCode.RATE_LIMITED, '此连接上的订阅过多,请先结束不再需要的订阅');
          return [new GraphQLError(refusal.message, { originalError: refusal })];
        }
        const checked = documents.check(payload.query);
        if ('errors' in checked) return checked.errors;
        const { document } = checked;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('operation not found', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
        // Both set by onConnect, which graphql-ws requires to have succeeded before any subscribe.
        const contextValue = await options.contextFor(ctx.extra.authorization, ctx.extra.meta!);
        return {
          schema: options.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      onOperation: (_ctx, _id, _payload, _args, result) => (isAsyncIterable(result) ? counted(result, options.metrics) : undefined),
      onNext: (_ctx, _id, _payload, args, result) => {
        if (!result.errors) return;
        const requestId = (args.contextValue as GraphQLContext | undefined)?.requestId;
        return { ...result, errors: result.errors.map((e) => formatError(options.log, e.toJSON(), e, requestId)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(options.log, e.toJSON(), e)),
    },
    wss,
  );

  return {
    dispose: async () => {
      await disposable.dispose();
    },
  };
}

type Checked = { document: DocumentNode } | { errors: readonly GraphQLError[] };

/** Documents kept, parsed and validated, per query text. */
export const DOCUMENTS_KEPT = 1000;

/**
 * Parsed and validated once per query text: every client of one app subscribes with the same
 * text, and each subscription would otherwise hold its own AST (~5–7 KB) and pay for parse and
 * validate. Documents are never changed by execution, so they are shared. A bounded map (the
 * oldest text goes first), so a client sending endless distinct texts cannot grow it; only
 * documents that passed are kept, refusals are rebuilt (their errors carry no per-request state
 * either, but an attacker's texts should not displace the app's).
 */
export function checkedDocuments(check: (query: string) => Checked) {
  const kept = new Map<string, { document: DocumentNode }>();
  return {
    check(query: string): Checked {
      const hit = kept.get(query);
      if (hit) return hit;
      const checked = check(query);
      if ('document' in checked) {
        if (kept.size >= DOCUMENTS_KEPT) kept.delete(kept.keys().next().value!);
        kept.set(query, checked);
      }
      return checked;
    },
  };
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<ExecutionResult> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** Counts an open subscription until graphql-ws ends it; its return() reaches the resolver's iterator. */
function counted(results: AsyncIterable<ExecutionResult>, metrics: Metrics): AsyncIterableIterator<ExecutionResult> {
  metrics.subscriptionsOpen.inc();
  return closingIterator(results[Symbol.asyncIterator](), () => metrics.subscriptionsOpen.dec());
}
