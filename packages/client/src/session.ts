import { RealnameError } from './errors.js';
import type { VerificationFieldsFragment, VerificationStatus } from './gql/graphql.js';

export type Verification = VerificationFieldsFragment;

const TERMINAL: ReadonlySet<VerificationStatus> = new Set(['VERIFIED', 'FAILED', 'CANCELED', 'EXPIRED']);
export const isTerminal = (status: VerificationStatus) => TERMINAL.has(status);

/**
 * The steps of the customer's draft. `failed` covers FAILED and EXPIRED (an abandoned attempt);
 * `status` fires on every change, including PROCESSING; `error` when the service refuses to say.
 */
export interface VerificationEvents {
  started: (verification: Verification) => void;
  status: (verification: Verification) => void;
  succeeded: (verification: Verification) => void;
  failed: (verification: Verification) => void;
  canceled: (verification: Verification) => void;
  error: (error: RealnameError) => void;
}

type EventName = keyof VerificationEvents;

/**
 * One verification as it moves: `result` settles with the terminal state (VERIFIED, FAILED,
 * CANCELED or EXPIRED) and rejects only when the state cannot be read at all.
 *
 * @example
 * const session = await client.startVerification(input);
 * session.on('succeeded', () => enableSendLetter());
 * location.href = session.verification.certifyUrl!;
 */
export interface VerificationSession {
  /** The latest state known. */
  readonly verification: Verification;
  readonly result: Promise<Verification>;
  /** Listens from now on; a listener for a step that has already happened is called at once. */
  on<E extends EventName>(event: E, listener: VerificationEvents[E]): () => void;
  cancel(): Promise<Verification>;
  /** Stops listening; `result` stays pending unless it had settled. */
  close(): void;
}

/** The state machine behind a session: states arrive from the subscription, a resync or a poll, in any order. */
export class SessionState {
  #current: Verification;
  #error: RealnameError | undefined;
  #settled = false;
  #listeners: { [E in EventName]: Set<VerificationEvents[E]> } = {
    started: new Set(),
    status: new Set(),
    succeeded: new Set(),
    failed: new Set(),
    canceled: new Set(),
    error: new Set(),
  };
  readonly result: Promise<Verification>;
  #resolve!: (verification: Verification) => void;
  #reject!: (error: RealnameError) => void;

  constructor(initial: Verification, private readonly onSettled: () => void) {
    this.#current = initial;
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // An unobserved rejection must not crash a mini-program or a Node process: `error` listeners
    // and `result` are both ways to hear it.
    this.result.catch(() => {});
    if (isTerminal(initial.status)) void Promise.resolve().then(() => this.#settle(initial));
  }

  get current() {
    return this.#current;
  }

  get settled() {
    return this.#settled;
  }

  /** A newer state; repeats and stale states (older `updatedAt`) are dropped. */
  deliver(next: Verification) {
    if (this.#settled || next.id !== this.#current.id) return;
    const sameState = next.status === this.#current.status && next.updatedAt === this.#current.updatedAt;
    if (sameState || next.updatedAt < this.#current.updatedAt) return;
    this.#current = next;
    this.#emit('status', next);
    if (isTerminal(next.status)) this.#settle(next);
  }

  fail(error: RealnameError) {
    if (this.#settled) return;
    this.#settled = true;
    this.#error = error;
    this.#emit('error', error);
    this.#reject(error);
    this.onSettled();
  }

  on<E extends EventName>(event: E, listener: VerificationEvents[E]): () => void {
    this.#listeners[event].add(listener);
    const replay = this.#replay(event);
    if (replay !== undefined) void Promise.resolve().then(() => (listener as (value: unknown) => void)(replay));
    return () => this.#listeners[event].delete(listener);
  }

  #replay(event: EventName): Verification | RealnameError | undefined {
    const { status } = this.#current;
    switch (event) {
      case 'started':
      case 'status':
        return this.#current;
      case 'succeeded':
        return status === 'VERIFIED' && this.#settled ? this.#current : undefined;
      case 'failed':
        return (status === 'FAILED' || status === 'EXPIRED') && this.#settled ? this.#current : undefined;
      case 'canceled':
        return status === 'CANCELED' && this.#settled ? this.#current : undefined;
      case 'error':
        return this.#error;
    }
  }

  #settle(final: Verification) {
    if (this.#settled) return;
    this.#settled = true;
    switch (final.status) {
      case 'VERIFIED':
        this.#emit('succeeded', final);
        break;
      case 'FAILED':
      case 'EXPIRED':
        this.#emit('failed', final);
        break;
      case 'CANCELED':
        this.#emit('canceled', final);
        break;
      case 'PENDING':
      case 'PROCESSING':
        break;
    }
    this.#resolve(final);
    this.onSettled();
  }

  #emit<E extends EventName>(event: E, value: Parameters<VerificationEvents[E]>[0]) {
    for (const listener of [...this.#listeners[event]]) (listener as (value: unknown) => void)(value);
  }
}
