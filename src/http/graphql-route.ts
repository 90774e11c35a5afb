import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context.js';

/** A connect-style step (helmet, cors, body-parser all are): called with `next`, or answers itself. */
export type Step = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export interface GraphQLRouteDeps {
  apollo: ApolloServer<GraphQLContext>;
  /** Run in order before Apollo; an error goes to `refuse`. */
  steps: readonly Step[];
  context: (req: IncomingMessage) => Promise<GraphQLContext>;
  refuse: (res: ServerResponse, error: unknown) => void;
}

/** `/graphql`, `/graphql/…` and their query strings: what express's `app.use('/graphql')` matched. */
export function isGraphQLPath(url: string | undefined): boolean {
  if (!url?.startsWith('/graphql')) return false;
  const next = url.charCodeAt(8);
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f /* ? */;
}

/**
 * Apollo's `executeHTTPGraphQLRequest` straight on node:http, what `@as-integrations/express5` does
 * minus express's router, request and response prototypes and `res.send` (ETag, content
 * negotiation): `/graphql` is the hot path (the letter gate asks before every letter), and
 * express's layers cost more than Apollo itself there. The same steps as before run ahead of it.
 */
export function graphqlRoute(deps: GraphQLRouteDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    let i = 0;
    const next = (error?: unknown) => {
      if (error !== undefined) return deps.refuse(res, error);
      const step = deps.steps[i++];
      if (step) return step(req, res, next);
      execute(deps, req, res).catch((failure: unknown) => deps.refuse(res, failure));
    };
    next();
  };
}

async function execute(deps: GraphQLRouteDeps, req: IncomingMessage, res: ServerResponse) {
  const headers = new HeaderMap();
  for (const key in req.headers) {
    const value = req.headers[key];
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const response = await deps.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method!.toUpperCase(), headers, search: q < 0 ? '' : url.slice(q), body: (req as { body?: unknown }).body },
    context: () => deps.context(req),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.setHeader('content-length', Buffer.byteLength(response.body.string));
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
