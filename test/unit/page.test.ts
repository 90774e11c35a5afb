import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError, ErrorCode } from '../../src/domain/errors.js';
import { decodeCursor, encodeCursor, pageSize, takePage } from '../../src/domain/page.js';

const refused = (run: () => unknown, message: string) => {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DomainError);
  expect(caught).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, message });
};

describe('keyset page cursors', () => {
  const instant = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });

  it('gives back the position it was made from', () => {
    fc.assert(
      fc.property(instant, fc.uuid(), (at, id) => {
        expect(decodeCursor(encodeCursor(at, id))).toEqual({ at, id });
      }),
    );
  });

  it('is opaque: URL-safe, and no time or id readable in it', () => {
    const cursor = encodeCursor(new Date('2026-12-02T10:00:00.000Z'), '0b9d7f3e-8c1a-4f55-9a57-2f7c0d6e1a42');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('2026');
  });

  it.each([
    ['empty', ''],
    ['not base64 of a position', 'not-a-cursor'],
    ['no id', Buffer.from('2026-12-02T10:00:00.000Z|').toString('base64url')],
    ['an id that is no uuid', Buffer.from('2026-12-02T10:00:00.000Z|42').toString('base64url')],
    ['no time', Buffer.from('|0b9d7f3e-8c1a-4f55-9a57-2f7c0d6e1a42').toString('base64url')],
    ['a time that is no time', Buffer.from('yesterday|0b9d7f3e-8c1a-4f55-9a57-2f7c0d6e1a42').toString('base64url')],
  ])('refuses a cursor it did not make (%s), with a coded error', (_, cursor) => {
    refused(() => decodeCursor(cursor), 'after 游标无效');
  });

  it('takes page sizes from 1 to the maximum, and nothing else', () => {
    expect(pageSize(1, 100)).toBe(1);
    expect(pageSize(100, 100)).toBe(100);
    for (const first of [0, -1, 101, 1.5, Number.NaN]) refused(() => pageSize(first, 100), 'first 须为 1–100');
    refused(() => pageSize(201, 200), 'first 须为 1–200');
  });

  it('says another page follows exactly when the repository found the row past the page', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 12 }), fc.integer({ min: 1, max: 10 }), (rows, first) => {
        const page = takePage(rows, first);
        expect(page.rows).toEqual(rows.slice(0, first));
        expect(page.hasNextPage).toBe(rows.length > first);
      }),
    );
  });
});
