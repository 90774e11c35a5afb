import type { Database } from '../db/database.js';
import { canSee, isUuid, type Actor } from '../domain/actor.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { isTerminal } from '../domain/verification-status.js';
import { closingIterator } from '../pubsub/closing-iterator.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';

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

    const events = changeSignals();
    const changed = events.notify;
    const unlisten = await this.bus.listen('verificationResult', id, changed).catch(() => {
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE);
    });
    // Events published while the broker was away are gone: a reconnect means "look again".
    const unlistenReconnect = this.bus.onReconnect(changed);
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
    // Only next() reaches the generator: parked in `for await`, it would take a return() only once
    // the next event arrives, so an idle client's unsubscribe would leak the listener. Stopping the
    // signals ends it instead.
    return closingIterator({ next: () => generator.next() }, () => {
      unlisten();
      unlistenReconnect();
      events.stop();
    });
  }
}

/**
 * "Look again" signals, coalesced (each one is a re-read anyway). Not node's `events.on()`: that
 * preallocates two 2048-slot queues, some 32 KB per idle subscription.
 */
function changeSignals() {
  let pending = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  return {
    notify: () => {
      pending = true;
      wake?.();
    },
    stop: () => {
      stopped = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      while (!stopped) {
        if (!pending) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (stopped) return;
        pending = false;
        yield;
      }
    },
  };
}
