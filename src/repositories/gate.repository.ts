import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { denylist, identities, lockoutResets, verifications } from '../db/schema.js';

export type GateFacts = Awaited<ReturnType<ReturnType<typeof gateFactsQuery>['execute']>>[number];

/**
 * Everything the letter gate decides from, for one user, in one round trip: the identity, the
 * latest attempt, and the completion time of the `nth` newest failure since `since` (there are at
 * least `nth` failures in the window exactly when it is set), and whether the account or its bound
 * number is denied. Failures before an operator's lockout reset do not count. Prepared once per database handle.
 */
export function gateFactsQuery(db: Database) {
  return gateFactsSelect(db).prepare('gate_facts');
}

/** The gate's query unprepared, for `toSQL()` (the bench prints its plans). */
export function gateFactsSelect(db: Database) {
  const userId = sql.placeholder('userId');
  const heldDocument = sql<string | null>`(select ${verifications.documentType} from ${verifications} where ${verifications.id} = ${identities.verificationId})`;
  const latest = db
    .select({ id: verifications.id, status: verifications.status })
    .from(verifications)
    .where(eq(verifications.userId, userId))
    .orderBy(desc(verifications.createdAt))
    .limit(1)
    .as('latest');
  const nthFailure = db
    .select({ completedAt: verifications.completedAt })
    .from(verifications)
    .where(
      and(
        eq(verifications.userId, userId),
        eq(verifications.status, 'FAILED'),
        gte(verifications.completedAt, sql.placeholder('since')),
        sql`${verifications.completedAt} > coalesce((select ${lockoutResets.resetAt} from ${lockoutResets} where ${lockoutResets.userId} = ${userId}), '-infinity')`,
      ),
    )
    .orderBy(desc(verifications.completedAt))
    .offset(sql.placeholder('nthOffset'))
    .limit(1)
    .as('nth_failure');
  return db
    .select({
      identity: { verifiedAt: identities.verifiedAt, expiresAt: identities.expiresAt, verificationId: identities.verificationId, faceCheckedAt: identities.faceCheckedAt, mode: identities.mode, documentType: heldDocument },
      latest: { id: latest.id, status: latest.status },
      nthFailureAt: nthFailure.completedAt,
      denied: sql<boolean>`exists (select 1 from ${denylist} where (${denylist.kind} = 'USER' and ${denylist.value} = ${userId}) or (${denylist.kind} = 'ID_NUMBER' and ${denylist.value} = ${identities.idNumberIndex}))`,
    })
    .from(sql`(select 1) as subject`)
    .leftJoin(identities, eq(identities.userId, userId))
    .leftJoinLateral(latest, sql`true`)
    .leftJoinLateral(nthFailure, sql`true`);
}
