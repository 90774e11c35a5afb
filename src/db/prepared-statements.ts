import type { Sql } from 'postgres';

/**
 * drizzle asks postgres.js to prepare a statement only when it was given a name (`.prepare(name)`).
 * Every other statement goes unnamed, and postgres.js sends an unnamed one with parameters as Parse
 * and Describe, waits for the parameter types, then sends Bind and Execute: two round trips, and a
 * parse and plan in PostgreSQL, for every statement. The access log's insert before each service read
 * paid that on the letter gate's path. This client makes postgres.js prepare every statement once per
 * connection (its own default for tagged queries), keyed by the statement's text: drizzle writes
 * values as `$n` placeholders, so the texts are few (one per query, and per list length where an
 * `inArray` takes a list), and a connection's statements go with it when the pool recycles it
 * (postgres.js's `max_lifetime`). A statement whose plan a migration changes
 * is re-prepared by postgres.js (its retry on `RevalidateCachedQuery`).
 */
export function preparingStatements(client: Sql): Sql {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (query: string, parameters?: unknown[], options?: object) => target.unsafe(query, parameters as never, { ...options, prepare: true });
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => {
          const run = args.pop() as (tx: Sql) => unknown;
          const begin = Reflect.get(target, property, receiver) as (...a: unknown[]) => Promise<unknown>;
          return begin(...args, (tx: Sql) => run(preparingStatements(tx)));
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}
