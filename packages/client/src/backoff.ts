export interface BackoffOptions {
  /** First delay, in ms. */
  initialMs: number;
  /** Longest delay, in ms. */
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so a fleet of
 * phones that lost the same server does not come back in one wave, and no wait is ever near zero.
 */
export function backoffDelay(attempt: number, { initialMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + (random() * step) / 2);
}

// Typed here rather than from DOM or Node: the package runs in browsers, mini-programs and Node alike.
const timers = globalThis as unknown as { setTimeout(callback: () => void, ms: number): unknown };

export const sleep = (ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms));
