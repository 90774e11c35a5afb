import type { Executor } from '../db/database.js';
import { identityRepository } from '../repositories/identity.repository.js';
import type { VerificationRow } from '../repositories/verification.repository.js';
import type { WebhookOutbox } from './webhook-outbox.js';

/** How many accounts one ID number may be bound to, and for how long a binding is valid. */
export interface BindingRules {
  maxAccountsPerIdentity: number;
  identityValidityDays: number;
}

const DAY_MS = 86_400_000;

/**
 * Binds a verified number (a first verification or a renewal: either starts a new lifetime) to the account in a slot other accounts left free, valid for
 * `identityValidityDays`; false when they hold every slot. Callers bind after moving the verification,
 * whose audit event takes the chain's lock until the commit: bindings never race for a slot, and the
 * unique index on (index, slot) stays the guard should that ever change.
 */
export async function bindIdentity(outbox: WebhookOutbox, tx: Executor, row: Pick<VerificationRow, 'id' | 'userId' | 'idNumberIndex' | 'mode'>, rules: BindingRules, now: Date): Promise<boolean> {
  const held = new Set(await identityRepository.slotsHeldByOthers(tx, row.idNumberIndex!, row.userId));
  const slot = [...Array(rules.maxAccountsPerIdentity).keys()].find((s) => !held.has(s));
  if (slot === undefined) return false;
  const binding = {
    userId: row.userId,
    verificationId: row.id,
    idNumberIndex: row.idNumberIndex!,
    slot,
    mode: row.mode,
    verifiedAt: now,
    expiresAt: new Date(now.getTime() + rules.identityValidityDays * DAY_MS),
    // An operator's approval in a manual review saw no face: the next step-up asks for one.
    faceCheckedAt: row.mode === 'MANUAL' ? null : now,
  };
  await identityRepository.upsert(tx, binding);
  await outbox.recordIdentityVerified(tx, binding, now);
  return true;
}

/** A passed step-up (STEP_UP): the held identity's face-check time moves; its binding and expiry stay. */
export async function recordFaceCheck(tx: Executor, row: Pick<VerificationRow, 'userId'>, now: Date): Promise<void> {
  await identityRepository.markFaceChecked(tx, row.userId, now);
}

