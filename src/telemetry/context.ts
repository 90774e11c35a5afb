import { AsyncLocalStorage } from 'node:async_hooks';
import { trace, type Span } from '@opentelemetry/api';
import { ATTR } from './spans.js';

/** What every log line written while handling one request (or one reconciler run) carries. */
export interface RequestScope {
  requestId: string;
  /** Set as soon as the request is known to be about one verification. */
  verificationId?: string;
  /** The span active when the scope began (the HTTP request's), which names the verification too. */
  span?: Span;
}

const scope = new AsyncLocalStorage<RequestScope>();

export const runInScope = <T>(requestId: string, run: () => T): T => {
  const span = trace.getActiveSpan()?.setAttribute(ATTR.requestId, requestId);
  return scope.run({ requestId, span }, run);
};

export const currentScope = (): RequestScope | undefined => scope.getStore();

/** From here on, the current request's log lines and spans name this verification. */
export function tagVerification(verificationId: string) {
  const current = scope.getStore();
  if (!current) return;
  current.verificationId = verificationId;
  current.span?.setAttribute(ATTR.verificationId, verificationId);
  trace.getActiveSpan()?.setAttribute(ATTR.verificationId, verificationId);
}

/** A client's or nginx's `X-Request-Id` is kept when it looks like one; otherwise a new one is made. */
export const REQUEST_ID = /^[\w.:-]{8,128}$/;
