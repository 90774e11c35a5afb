import { isUuid } from './actor.js';
import { DomainError, ErrorCode } from './errors.js';

/**
 * Operators' lists are keyset pages: a page starts after the (time, id) of the last row of the one
 * before, so rows arriving meanwhile neither repeat nor go missing, and no page costs an OFFSET scan.
 * The position travels as an opaque cursor; a client only ever passes back one it was given.
 */
export interface PagePosition {
  at: Date;
  id: string;
}

export const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');

export function decodeCursor(cursor: string): PagePosition {
  const [time, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const at = new Date(time ?? '');
  if (!id || !isUuid(id) || Number.isNaN(at.getTime())) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'after 游标无效');
  return { at, id };
}

/** `first`, the page size a client asks for: 1 to `max` rows. */
export function pageSize(first: number, max: number): number {
  if (!Number.isInteger(first) || first < 1 || first > max) throw new DomainError(ErrorCode.BAD_USER_INPUT, `first 须为 1–${max}`);
  return first;
}

/** Repositories read one row past the page: whether it came back says if another page follows. */
export function takePage<T>(rows: readonly T[], first: number): { rows: T[]; hasNextPage: boolean } {
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
}
