import { EventEmitter, on } from 'node:events';
import type { Database } from '../db/database.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { isTerminal } from '../domain/verification-status.js';
import type { Actor } from '../http/auth.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import { canSee, isUuid } from './verification.service.js';

/**
 * `verificationResult`: the current state first, then every change, ending after a terminal state.
 * The broker subscription is live before the first read, so a callback landing in between is seen
 * either in that read or as an event — never lost. Events only point at the record: each is re-read.
 */
export class VerificationWatch {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
  ) {}

  async watch(actor: Actor, id: string): Promise<AsyncIterableIterator<VerificationRow>> {
    const first = isUuid(id) ? await verificationRepository.byId(this.db, id) : undefined;
    if (!first || !canSee(actor, first.userId)) throw new DomainError(ErrorCode.NOT_FOUND);

    const stop = new AbortController();
    const signals = new EventEmitter();
    const events = on(signals, 'changed', { signal: stop.signal });
    const unlisten = await this.bus.listen('verificationResult', id, () => signals.emit('changed'));
    const db = this.db;

    async function* states(): AsyncGenerator<VerificationRow> {
      let last = (await verificationRepository.byId(db, id))!;
      yield last;
      if (isTerminal(last.status)) return;
      for await (const _ of events) {
        const now = (await verificationRepository.byId(db, id))!;
        if (now.status === last.status && now.updatedAt.getTime() === last.updatedAt.getTime()) continue;
        last = now;
        yield now;
        if (isTerminal(now.status)) return;
      }
    }
    const generator = states();
    const close = () => {
      unlisten();
      stop.abort();
    };
    // A generator parked in `for await` cannot run its finally until the next event arrives, so an
    // idle client's unsubscribe would leak the listener: return() aborts the wait first.
    const iterator: AsyncIterableIterator<VerificationRow> = {
      next: async () => {
        try {
          const step = await generator.next();
          if (step.done) close();
          return step;
        } catch (error) {
          close();
          if ((error as Error).name === 'AbortError') return { done: true, value: undefined };
          throw error;
        }
      },
      return: async () => {
        close();
        return { done: true, value: undefined };
      },
      throw: async (error) => {
        close();
        throw error;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
