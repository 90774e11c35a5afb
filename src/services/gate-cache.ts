import { tappingPublish, type EventBus } from '../pubsub/event-bus.js';

/** How long an answer may be served without a change notice, in case one is lost with the broker. */
export const GATE_CACHE_TTL_MS = 30_000;

interface Entry<T> {
  value: T;
  expiresAt: number;
}

interface Flight<T> {
  promise: Promise<T>;
  /** Set when a change notice arrives during the read: its result is handed out but never kept. */
  stale: boolean;
}

/**
 * The letter gate's per-replica memory of what it last read per user: least recently used entries
 * go first, each lives at most `ttlMs`, and `invalidate(userId)` — wired to the `userStatus` topic
 * every transition publishes — drops it at once on every replica. Concurrent misses for one user
 * share a single read. Values are per user and keyed by user id only, so no answer crosses users.
 */
export class GateCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #flights = new Map<string, Flight<T>>();
  /** Lookups answered from memory, and those that read the database (for `cache_hit_rate`). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly maxEntries: number,
    private readonly clock: () => Date,
    private readonly ttlMs = GATE_CACHE_TTL_MS,
  ) {}

  get size() {
    return this.#entries.size;
  }

  async get(userId: string, read: () => Promise<T>): Promise<T> {
    if (this.maxEntries === 0) return read();
    const now = this.clock().getTime();
    const hit = this.#entries.get(userId);
    if (hit) {
      this.#entries.delete(userId);
      if (hit.expiresAt > now) {
        this.#entries.set(userId, hit);
        this.stats.hits++;
        return hit.value;
      }
    }
    this.stats.misses++;
    const flying = this.#flights.get(userId);
    if (flying) return flying.promise;

    // The clock is read before the database, so an entry never outlives its read by more than ttlMs.
    const flight: Flight<T> = { stale: false, promise: undefined as unknown as Promise<T> };
    const landed = () => {
      if (this.#flights.get(userId) === flight) this.#flights.delete(userId);
    };
    flight.promise = read().then(
      (value) => {
        landed();
        if (!flight.stale) this.#keep(userId, { value, expiresAt: now + this.ttlMs });
        return value;
      },
      (error: unknown) => {
        landed();
        throw error;
      },
    );
    this.#flights.set(userId, flight);
    return flight.promise;
  }

  /** A change notice: forget the user's entry, and make a read already under way not count. */
  invalidate(userId: string) {
    this.#entries.delete(userId);
    const flight = this.#flights.get(userId);
    if (flight) {
      flight.stale = true;
      this.#flights.delete(userId);
    }
  }

  /** After the change notices may have been missed (the broker reconnected): forget everything. */
  clear() {
    this.#entries.clear();
    for (const flight of this.#flights.values()) flight.stale = true;
    this.#flights.clear();
  }

  #keep(userId: string, entry: Entry<T>) {
    this.#entries.set(userId, entry);
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

/**
 * The bus as this replica's services see it: a `userStatus` notice drops the local entry before it
 * is published. The broker's echo reaches this replica's listener only some time after `publish`
 * returns (another connection, another turn), so without this the next gate call here, made right
 * after the change, could still be answered from the old facts. Other replicas drop theirs on the echo.
 */
export function invalidatingLocally(bus: EventBus, cache: Pick<GateCache<unknown>, 'invalidate'>): EventBus {
  return tappingPublish(bus, (message) => {
    if (message.topic === 'userStatus') cache.invalidate(message.payload.userId);
  });
}
