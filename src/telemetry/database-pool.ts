import type { Sql } from 'postgres';

export interface PoolUsage {
  inUse: number;
  idle: number;
  waiting: number;
}

/**
 * postgres.js keeps its pool's queues private, so the pool is watched from outside: every query
 * issued outside a transaction, and every transaction, holds a connection until it settles. Those
 * beyond `max` wait for one (postgres.js queues them, or pipelines them behind a busy connection).
 * Queries inside a transaction run on the transaction's own connection and are not counted twice.
 */
export function watchPool(client: Sql, max: number): { client: Sql; usage(): PoolUsage } {
  let holding = 0;
  const enter = () => void holding++;
  const leave = () => void holding--;

  const tracked = new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'begin') {
        return (...args: unknown[]) => {
          enter();
          return (target.begin as (...a: unknown[]) => Promise<unknown>)(...args).finally(leave);
        };
      }
      if (property === 'unsafe') {
        return (...args: Parameters<Sql['unsafe']>) => {
          // A postgres.js query is lazy: it is sent when first awaited, so that is when it counts.
          const query = target.unsafe(...args);
          const then = query.then.bind(query);
          let counted = false;
          query.then = ((onFulfilled, onRejected) => {
            if (!counted) {
              counted = true;
              enter();
              void then(leave, leave);
            }
            return then(onFulfilled, onRejected);
          }) as typeof query.then;
          return query;
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return {
    client: tracked,
    usage: () => {
      const inUse = Math.min(holding, max);
      return { inUse, idle: max - inUse, waiting: holding - inUse };
    },
  };
}
