import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while handling one request (or one reconciler run) carries. */
export interface RequestScope {
  requestId: string;
  /** Set as soon as the request is known to be about one verification. */
  verificationId?: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

export const runInScope = <T>(requestId: string, run: () => T): T => scope.run({ requestId }, run);

export const currentScope = (): RequestScope | undefined => scope.getStore();

/** From here on, the current request's log lines name this verification. */
export function tagVerification(verificationId: string) {
  const current = scope.getStore();
  if (current) current.verificationId = verificationId;
}

/** A client's or nginx's `X-Request-Id` is kept when it looks like one; otherwise a new one is made. */
export const REQUEST_ID = /^[\w.:-]{8,128}$/;
