import { and, asc, desc, eq, gt, lt, or, type Column } from 'drizzle-orm';
import type { PagePosition } from '../domain/page.js';

/**
 * A keyset page over (time, id), in either direction: the condition for rows past `after`, and the
 * order that goes with it. The id breaks ties between rows of the same instant.
 */
export function keyset(time: Column, id: Column, direction: 'oldest first' | 'newest first') {
  const past = direction === 'oldest first' ? gt : lt;
  const order = direction === 'oldest first' ? asc : desc;
  return {
    after: (position: PagePosition | undefined) => (position ? or(past(time, position.at), and(eq(time, position.at), past(id, position.id))) : undefined),
    orderBy: [order(time), order(id)] as const,
  };
}
