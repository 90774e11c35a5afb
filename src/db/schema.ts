import { sql } from 'drizzle-orm';
import { RECORDED_DOCUMENT_TYPES } from '../domain/documents.js';
import {
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const verificationStatuses = ['PENDING', 'PROCESSING', 'VERIFIED', 'FAILED', 'CANCELED', 'EXPIRED'] as const;
/** VERIFY: a start with a typed name and number; RENEWAL and STEP_UP: one face check against the held identity. */
export const verificationPurposes = ['VERIFY', 'RENEWAL', 'STEP_UP'] as const;

/** One data key per user, wrapped by a master key. Deleting the row shreds everything of theirs. */
export const userKeys = pgTable('user_keys', {
  userId: text('user_id').primaryKey(),
  keyVersion: integer('key_version').notNull(),
  wrappedKey: bytea('wrapped_key').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
  rotatedAt: at('rotated_at'),
});

/**
 * What the key commands recorded of each master key version: when a rotation found it wrapping no
 * data key any more (backups taken before then still hold keys it wraps), and when `keys:retire`
 * retired it. A retired version must leave REALNAME_MASTER_KEY and be destroyed.
 */
export const masterKeyVersions = pgTable('master_key_versions', {
  version: integer('version').primaryKey(),
  emptiedAt: at('emptied_at'),
  retiredAt: at('retired_at'),
});

export const consentPurposes = ['VERIFICATION', 'DOCUMENT_REVIEW'] as const;

export const consents = pgTable(
  'consents',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id').notNull(),
    version: text('version').notNull(),
    biometric: boolean('biometric').notNull(),
    /** VERIFICATION: a start (with biometric consent); DOCUMENT_REVIEW: operators may see the name and number. */
    purpose: text('purpose', { enum: consentPurposes }).notNull().default('VERIFICATION'),
    clientIp: text('client_ip'),
    userAgent: text('user_agent'),
    acceptedAt: at('accepted_at').notNull(),
  },
  (t) => [index('consents_user_idx').on(t.userId)],
);

export const verifications = pgTable(
  'verifications',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id').notNull(),
    status: text('status', { enum: verificationStatuses }).notNull(),
    mode: text('mode', { enum: ['LIVE', 'SANDBOX', 'MANUAL'] }).notNull(),
    purpose: text('purpose', { enum: verificationPurposes }).notNull().default('VERIFY'),
    /** A document verified online, or (mode MANUAL, from requestDocumentReview) one only a review takes. */
    documentType: text('document_type', { enum: RECORDED_DOCUMENT_TYPES }).notNull().default('RESIDENT_ID_CARD'),
    /** AES-256-GCM under the user's data key; null once the user's data is erased. */
    nameCipher: bytea('name_cipher'),
    idNumberCipher: bytea('id_number_cipher'),
    idNumberIndex: text('id_number_index'),
    consentId: uuid('consent_id').references(() => consents.id),
    idempotencyKey: text('idempotency_key'),
    outerOrderNo: text('outer_order_no').notNull(),
    certifyId: text('certify_id'),
    certifyUrl: text('certify_url'),
    callbackTokenHash: text('callback_token_hash'),
    returnUrl: text('return_url'),
    failureCode: text('failure_code'),
    providerSubCode: text('provider_sub_code'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    completedAt: at('completed_at'),
    checkedAt: at('checked_at'),
  },
  (t) => [
    index('verifications_user_idx').on(t.userId, t.createdAt),
    uniqueIndex('verifications_outer_order_no_idx').on(t.outerOrderNo),
    uniqueIndex('verifications_certify_id_idx').on(t.certifyId),
    uniqueIndex('verifications_idempotency_idx').on(t.userId, t.idempotencyKey),
    index('verifications_open_idx')
      .on(t.createdAt)
      .where(sql`status in ('PENDING', 'PROCESSING')`),
    /** At most one open attempt per user: a race of two starts cannot leave two PENDING. */
    uniqueIndex('verifications_one_open_idx')
      .on(t.userId)
      .where(sql`status in ('PENDING', 'PROCESSING')`),
  ],
);

/**
 * A verified identity bound to an account; its name and number stay sealed on the verification. `slot` < IDENTITY_MAX_ACCOUNTS, and (index, slot) is
 * unique, so two concurrent bindings of one number cannot both take the last free slot.
 */
export const identities = pgTable(
  'identities',
  {
    userId: text('user_id').primaryKey(),
    verificationId: uuid('verification_id').notNull(),
    idNumberIndex: text('id_number_index').notNull(),
    slot: integer('slot').notNull(),
    /** The mode of the verification behind it: a LIVE gate passes only LIVE and MANUAL identities. */
    mode: text('mode', { enum: ['LIVE', 'SANDBOX', 'MANUAL'] }).notNull(),
    verifiedAt: at('verified_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    /** The last passed face check (a start, a renewal or a step-up); null after a manual review. */
    faceCheckedAt: at('face_checked_at'),
  },
  (t) => [uniqueIndex('identities_index_slot_idx').on(t.idNumberIndex, t.slot)],
);

export const faceImages = pgTable('face_images', {
  verificationId: uuid('verification_id').primaryKey(),
  userId: text('user_id').notNull(),
  imageCipher: bytea('image_cipher').notNull(),
  createdAt: at('created_at').notNull(),
  purgeAfter: at('purge_after').notNull(),
});

/** What an audit event says, queued or chained: fresh builders per table, as drizzle needs. */
const auditEventColumns = () => ({
  at: at('at').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  subjectUserId: text('subject_user_id'),
  verificationId: uuid('verification_id'),
  detail: jsonb('detail').$type<Record<string, string | number | boolean | null>>().notNull(),
});

/** Append-only and hash-chained: each row holds the hash of the one before it. No PII. */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    ...auditEventColumns(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_events_user_idx').on(t.subjectUserId)],
);

/**
 * Service reads (`data.accessed`) queue here with one plain insert, off the chain's lock, and are
 * moved into `audit_events` in batches: the letter gate never waits for the chain. No PII.
 */
export const pendingAuditEvents = pgTable('pending_audit_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  ...auditEventColumns(),
});

export const reviewStatuses = ['OPEN', 'APPROVED', 'REJECTED', 'WITHDRAWN'] as const;

/**
 * A person the automatic path could not verify asks a human. The case's own verification (mode
 * MANUAL, PROCESSING while open) carries the sealed name and number; an operator's decision moves it.
 */
export const reviewCases = pgTable(
  'review_cases',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id').notNull(),
    /**
     * The FAILED attempt the user asked about (requestManualReview); null for a document only a
     * review takes (requestDocumentReview), whose name and number came with the request itself.
     */
    failedVerificationId: uuid('failed_verification_id'),
    /** The MANUAL verification an approval turns VERIFIED. */
    verificationId: uuid('verification_id').notNull(),
    status: text('status', { enum: reviewStatuses }).notNull(),
    failureCode: text('failure_code').notNull(),
    /** The user's note, sealed under their data key like their name. */
    noteCipher: bytea('note_cipher'),
    /** Operators who approved so far (two with REVIEW_TWO_PERSON). */
    approvedBy: jsonb('approved_by').$type<string[]>().notNull().default([]),
    decidedBy: text('decided_by'),
    decisionReason: text('decision_reason'),
    createdAt: at('created_at').notNull(),
    decidedAt: at('decided_at'),
  },
  (t) => [
    index('review_cases_queue_idx').on(t.status, t.createdAt),
    index('review_cases_user_idx').on(t.userId),
    uniqueIndex('review_cases_one_open_idx').on(t.userId).where(sql`status = 'OPEN'`),
  ],
);

/** Who may not verify: accounts by id, numbers by their blind index (never the number). */
export const denylist = pgTable(
  'denylist',
  {
    kind: text('kind', { enum: ['USER', 'ID_NUMBER'] }).notNull(),
    value: text('value').notNull(),
    reason: text('reason').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.value] })],
);

/** Failures completed before `resetAt` no longer count towards a lockout (an operator unlocked the user). */
export const lockoutResets = pgTable('lockout_resets', {
  userId: text('user_id').primaryKey(),
  resetAt: at('reset_at').notNull(),
  resetBy: text('reset_by').notNull(),
});

export const webhookEventTypes = ['identity.verified', 'identity.renewable', 'identity.expired', 'identity.revoked', 'review.decided'] as const;
export const webhookDeliveryStatuses = ['PENDING', 'DELIVERED', 'FAILED'] as const;

/**
 * The outbox: an event is written in the transaction of the change it reports, and a delivery worker
 * POSTs it to WEBHOOK_URL until it is acknowledged or given up. `body` is the exact JSON sent (ids,
 * types, times, the user id: no PII); `dedupeKey` makes the lifecycle sweep's events once per
 * identity and validity period. `lastError` is a code (`HTTP_503`, `TIMEOUT`), never a response body.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: uuid('id').primaryKey(),
    type: text('type', { enum: webhookEventTypes }).notNull(),
    userId: text('user_id').notNull(),
    occurredAt: at('occurred_at').notNull(),
    body: text('body').notNull(),
    dedupeKey: text('dedupe_key'),
    status: text('status', { enum: webhookDeliveryStatuses }).notNull().default('PENDING'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at').notNull(),
    /** After this no retry is scheduled (WEBHOOK_MAX_AGE_HOURS from the event, or from a replay). */
    giveUpAt: at('give_up_at').notNull(),
    lastAttemptAt: at('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: at('delivered_at'),
  },
  (t) => [
    uniqueIndex('webhook_events_dedupe_idx').on(t.dedupeKey),
    index('webhook_events_due_idx').on(t.nextAttemptAt).where(sql`status = 'PENDING'`),
    index('webhook_events_status_idx').on(t.status, t.occurredAt),
  ],
);
