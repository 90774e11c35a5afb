import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { benchServiceToken, benchToken } from './fixtures.js';

const WATCH = 'subscription Watch($id: ID!) { verificationResult(id: $id) { id status } }';

export interface Watcher {
  verificationId: string;
  /** Wall-clock ms (performance.timeOrigin-based) when VERIFIED arrived. */
  verifiedAt?: number;
  events: number;
  failed?: string;
}

/**
 * With `perConnection` 1, one graphql-ws client — one WebSocket — per subscription, as browsers
 * hold them: each user's page watches its own verification with its own token. Otherwise that many
 * subscriptions share each WebSocket, under a service token (a gateway multiplexing its users).
 * Resolves once every subscription has yielded its first (current) state.
 */
export async function openSubscriptions(url: string, subjects: { userId: string; verificationId: string }[], perConnection = 1, concurrency = 100) {
  const wsUrl = `${url.replace('http', 'ws')}/graphql`;
  const clients: Client[] = [];
  const watchers = new Map<string, Watcher>();
  const service = benchServiceToken();
  const clientFor = (index: number, userId: string) => {
    const slot = Math.floor(index / perConnection);
    clients[slot] ??= createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${perConnection === 1 ? benchToken(userId) : service}` },
      retryAttempts: 0,
      lazy: true,
    });
    return clients[slot]!;
  };
  let nextIndex = 0;
  async function worker() {
    while (nextIndex < subjects.length) {
      const index = nextIndex++;
      const { userId, verificationId } = subjects[index]!;
      const client = clientFor(index, userId);
      const watcher: Watcher = { verificationId, events: 0 };
      watchers.set(verificationId, watcher);
      await new Promise<void>((resolve) => {
        client.subscribe<{ verificationResult: { status: string } }>(
          { query: WATCH, variables: { id: verificationId } },
          {
            next: (value) => {
              watcher.events++;
              if (value.errors) watcher.failed = value.errors[0]?.message ?? 'error';
              if (value.data?.verificationResult.status === 'VERIFIED') watcher.verifiedAt = performance.timeOrigin + performance.now();
              resolve();
            },
            error: (error) => {
              watcher.failed = String((error as Error)?.message ?? (error as { code?: number })?.code ?? error);
              resolve();
            },
            complete: () => resolve(),
          },
        );
      });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    watchers,
    close: async () => {
      for (let i = 0; i < clients.length; i += 500) await Promise.all(clients.slice(i, i + 500).map((c) => c.dispose()));
    },
  };
}

/** Sends `items` to `send` at `perSecond`, in small batches on a schedule that catches up after a late tick. */
export async function paced<T>(items: T[], perSecond: number, send: (batch: T[]) => void) {
  const started = performance.now();
  let sent = 0;
  while (sent < items.length) {
    const due = Math.min(items.length, Math.floor(((performance.now() - started) / 1000) * perSecond) + 1);
    if (due > sent) {
      send(items.slice(sent, due));
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return (performance.now() - started) / 1000;
}

export function percentile(values: number[], p: number) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
