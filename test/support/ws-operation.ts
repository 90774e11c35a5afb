import { createClient, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export type WsOutcome =
  /** The server closed the socket (4403: refused in onConnect, or the token expired). */
  | { closeCode: number; reason: string }
  /** The first result of the operation, or the errors it was refused with. */
  | { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, any> }[] };

/** A `ws` WebSocket that sends extra headers on its upgrade request (e.g. X-Forwarded-For). */
export function webSocketWith(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  };
}

/**
 * Runs one operation on a fresh graphql-ws connection and settles on whatever comes first: its first
 * result (a subscription's current state), its errors, or the socket being closed.
 */
export async function wsOperation(
  app: { url: string },
  authorization: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<WsOutcome> {
  const client = createClient({
    url: `${app.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: webSocketWith(headers),
    connectionParams: authorization === undefined ? {} : { authorization },
    retryAttempts: 0,
    lazy: true,
  });
  try {
    return await new Promise<WsOutcome>((resolve) => {
      client.subscribe(
        { query, variables },
        {
          next: (result: ExecutionResult) => resolve(result as WsOutcome),
          error: (error: unknown) => {
            if (Array.isArray(error)) resolve({ errors: error });
            else if (error && typeof error === 'object' && 'code' in error) {
              const close = error as { code: number; reason?: string };
              resolve({ closeCode: close.code, reason: close.reason ?? '' });
            } else resolve({ errors: [{ message: String(error) }] });
          },
          complete: () => resolve({}),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}
