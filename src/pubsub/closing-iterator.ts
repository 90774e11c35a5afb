/**
 * Iterates `source` and calls `close` once, when iteration ends: the source is done or throws, or
 * the consumer calls return() or throw(). Not an async generator: one parked on an idle
 * subscription would queue the consumer's return() until the next event, so the subscription (and
 * its broker channel) would never be released. Here return() goes through at once.
 */
export function closingIterator<T>(source: AsyncIterator<T>, close: () => void): AsyncIterableIterator<T> {
  let open = true;
  const end = () => {
    if (open) close();
    open = false;
  };
  const iterator: AsyncIterableIterator<T> = {
    next: async () => {
      try {
        const step = await source.next();
        if (step.done) end();
        return step;
      } catch (error) {
        end();
        throw error;
      }
    },
    return: async (value?: unknown) => {
      end();
      return (await source.return?.(value)) ?? { done: true, value: undefined };
    },
    throw: async (error?: unknown) => {
      end();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
