import { DomainError, ErrorCode } from './errors.js';
import { failureCodeOf, type FailureCode } from './verification-status.js';

/**
 * Failures the automatic path cannot fix by the person trying again: the authoritative source has
 * no record or no usable photo of them, the source itself failed, or their number is bound to
 * another account (perhaps by someone who stole it), or their document is one this deployment does
 * not verify online (ACCEPTED_DOCUMENTS). Aliyun asks integrators to offer people in these cases a
 * manual review. A face mismatch or a liveness risk is not among them: a human
 * looking at the same attempt would only second-guess the check.
 */
export const MANUALLY_REVIEWABLE: ReadonlySet<FailureCode> = new Set<FailureCode>([
  'IDENTITY_NOT_CONFIRMED',
  'NO_ID_PHOTO',
  'SOURCE_ERROR',
  'IDENTITY_ALREADY_BOUND',
  'DOCUMENT_NOT_ACCEPTED',
]);

export const isManuallyReviewable = (code: string | null): boolean => code !== null && MANUALLY_REVIEWABLE.has(failureCodeOf(code));

export const REVIEW_DECISIONS = ['APPROVE', 'REJECT'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** How long a case's MANUAL verification stays open before it counts as stale in the queue. */
export const REVIEW_OPEN_DAYS = 30;

const MAX_REASON = 500;
/** 15 or more digits in a row look like an ID number: reasons travel into the audit chain and exports. */
const LOOKS_LIKE_ID_NUMBER = /\d{14,}[\dXx]?/;

/**
 * Every operator action carries a reason, kept in the audit chain and shown to the user in their
 * export. It must say why, not quote whom: a reason holding an ID number is refused.
 */
export function operatorReason(raw: string): string {
  const reason = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (reason.length === 0) throw new DomainError(ErrorCode.BAD_USER_INPUT, '请填写操作理由');
  if (reason.length > MAX_REASON) throw new DomainError(ErrorCode.BAD_USER_INPUT, `操作理由不能超过 ${MAX_REASON} 字`);
  if (LOOKS_LIKE_ID_NUMBER.test(reason)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '操作理由中不能包含证件号码');
  return reason;
}

const MAX_NOTE = 500;

export function reviewNote(raw: string | null | undefined): string | null {
  const note = raw?.normalize('NFC').trim();
  if (!note) return null;
  if (note.length > MAX_NOTE) throw new DomainError(ErrorCode.BAD_USER_INPUT, `说明不能超过 ${MAX_NOTE} 字`);
  return note;
}
