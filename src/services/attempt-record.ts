import { randomUUID } from 'node:crypto';
import type { Database, Executor } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Application, RequestMeta } from '../domain/application.js';
import { CONSENT_TERMS } from '../domain/consent-terms.js';
import type { FailureCode } from '../domain/verification-status.js';
import type { Logger } from '../logger.js';
import type { IdentityMatch, ProviderMode } from '../providers/provider.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { consentRepository, type ConsentPurpose } from '../repositories/consent.repository.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import type { AuditChain } from './audit-log.js';
import { announce, moveVerification } from './transitions.js';
import type { PersonalDataVault } from './vault.js';

/** One start, from its validated application to the record it leaves. */
export interface Attempt {
  id: string;
  userId: string;
  application: Application;
  idNumberIndex: string;
  /** Recorded by `recordConsent` before the name and number left for the provider. */
  consentId: string;
}

export type AttemptOutcome =
  | { status: 'PENDING'; certifyId: string; certifyUrl: string; callbackTokenHash: string }
  /** The WeChat path: no certify page; the client's own photo settles it. */
  | { status: 'PENDING'; awaitingCapture: true }
  /** `identityMatch`: which of Id2MetaVerify's answers the one user-facing code stands for, for the audit trail. */
  | { status: 'FAILED'; failureCode: FailureCode; identityMatch?: Exclude<IdentityMatch, 'MATCH'> };

export interface AttemptRecordDeps {
  db: Database;
  vault: PersonalDataVault;
  bus: EventBus;
  audit: AuditChain;
  clock: () => Date;
  log: Logger;
  settings: { mode: ProviderMode; ttlMinutes: number };
}

/**
 * The consent (version, time, where from, the separate biometric consent), committed on its own
 * before the name and number go to the provider: processing must never run ahead of the consent.
 * A start that then fails at the provider leaves the consent and no verification. A document
 * review's consent (DOCUMENT_REVIEW) is to operators seeing them; no face is processed there.
 */
export async function recordConsent(db: Database, userId: string, meta: RequestMeta, now: Date, purpose: ConsentPurpose = 'VERIFICATION'): Promise<string> {
  const id = randomUUID();
  await consentRepository.insert(db, {
    id,
    userId,
    version: CONSENT_TERMS.version,
    biometric: purpose === 'VERIFICATION',
    purpose,
    clientIp: meta.clientIp ?? null,
    userAgent: meta.userAgent?.slice(0, 512) ?? null,
    acceptedAt: now,
  });
  return id;
}

/**
 * One transaction: the superseding of any open attempt, the new record and its audit
 * event. A concurrent start with the same idempotency key loses on the unique index and returns
 * the winner's record.
 */
export async function recordAttempt(deps: AttemptRecordDeps, attempt: Attempt, outcome: AttemptOutcome): Promise<VerificationRow> {
  const { db, bus, log } = deps;
  const { userId, application } = attempt;
  const sealed = await deps.vault.sealApplicant(userId, attempt.id, application);
  const now = deps.clock();
  let written: { row: VerificationRow; superseded?: VerificationRow } | undefined;
  for (let tries = 1; !written; tries++) {
    try {
      written = await db.transaction((tx) => writeAttempt(deps.audit, tx, deps.settings, attempt, outcome, sealed, now));
    } catch (error) {
      if (application.idempotencyKey && isUniqueViolation(error, 'verifications_idempotency_idx')) {
        return (await verificationRepository.byIdempotencyKey(db, userId, application.idempotencyKey))!;
      }
      // A concurrent start of this user opened a record between our read and our insert: go again
      // once. With the same idempotency key, that second try meets the key's index and returns above.
      if (tries > 1 || !isUniqueViolation(error, 'verifications_one_open_idx')) throw error;
    }
  }
  if (written.superseded) await announce(bus, log, written.superseded);
  await announce(bus, log, written.row, 'started');
  return written.row;
}

async function writeAttempt(
  audit: AuditChain,
  tx: Executor,
  settings: AttemptRecordDeps['settings'],
  { id, userId, application, idNumberIndex, consentId }: Attempt,
  outcome: AttemptOutcome,
  sealed: { nameCipher: Buffer; idNumberCipher: Buffer },
  now: Date,
) {
  const open = await verificationRepository.openForUser(tx, userId);
  const superseded = open && (await moveVerification(audit, tx, open.id, { to: 'CANCELED', failureCode: 'SUPERSEDED', actor: `user:${userId}` }, now));
  const failureCode = outcome.status === 'FAILED' ? outcome.failureCode : null;
  const session = outcome.status === 'PENDING' && 'certifyId' in outcome ? outcome : undefined;
  const row = await verificationRepository.insert(tx, {
    id,
    userId,
    status: outcome.status,
    mode: settings.mode,
    purpose: application.purpose,
    documentType: application.documentType,
    ...sealed,
    idNumberIndex,
    consentId,
    idempotencyKey: application.idempotencyKey,
    outerOrderNo: id.replaceAll('-', ''),
    certifyId: session?.certifyId ?? null,
    certifyUrl: session?.certifyUrl ?? null,
    callbackTokenHash: session?.callbackTokenHash ?? null,
    returnUrl: application.returnUrl,
    failureCode,
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + settings.ttlMinutes * 60_000),
    completedAt: outcome.status === 'FAILED' ? now : null,
  });
  await audit.append(tx, {
    at: now,
    actor: `user:${userId}`,
    action: outcome.status === 'PENDING' ? 'verification.started' : 'verification.failed',
    subjectUserId: userId,
    verificationId: id,
    detail: {
      consentVersion: CONSENT_TERMS.version,
      failureCode,
      mode: settings.mode,
      ...(application.purpose !== 'VERIFY' && { purpose: application.purpose }),
      ...('awaitingCapture' in outcome && { channel: 'face-capture' }),
      ...('identityMatch' in outcome && { identityMatch: outcome.identityMatch ?? null }),
    },
  });
  return { row, superseded: superseded || undefined };
}
