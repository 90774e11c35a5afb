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

    const signals = changeSignals();
    const unlisten = await this.bus.listen('verificationResult', id, signals.notify).catch(() => {
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE);
    });
    // Events published while the broker was away are gone: a reconnect means "look again".
    const unlistenReconnect = this.bus.onReconnect(signals.notify);
    const db = this.db;

    // Between events an idle subscription keeps only the version it last delivered, never the row:
    // the row's ciphertexts are slices of the driver's read buffers (64 KB each), and a suspended
    // async generator would hold all of that for as long as the client stays.
    let delivered: string | undefined;
    let ended = false;
    async function next(): Promise<IteratorResult<VerificationRow>> {
      while (!ended && (delivered === undefined || (await signals.changed()))) {
        const row = (await verificationRepository.byId(db, id))!;
        const version = versionOf(row);
        if (version === delivered) continue;
        delivered = version;
        ended = isTerminal(row.status);
        return { done: false, value: row };
      }
      return { done: true, value: undefined };
    }
    return closingIterator({ next }, () => {
      unlisten();
      unlistenReconnect();
      signals.stop();
    });
  }
}

/** What tells one state of a record from the next: every move changes the status and stamps `updatedAt`. */
const versionOf = (row: VerificationRow) => `${row.status}@${row.updatedAt.getTime()}`;

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
    /** Resolves true once a signal has come since the last call, false once stopped. */
    async changed(): Promise<boolean> {
      if (!pending && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      pending = false;
      return !stopped;
    },
  };
}
