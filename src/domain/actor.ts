import { DomainError, ErrorCode } from './errors.js';

/** Who is calling. End users act only on themselves; the letter backend (service) on anyone. */
export type Actor =
  | { kind: 'user'; userId: string; expiresAt?: Date }
  | { kind: 'service'; subject: string; expiresAt?: Date };

/** How an actor is named in the audit trail: `user:<id>` or `service:<sub>`. */
export const actorLabel = (actor: Actor) => (actor.kind === 'user' ? `user:${actor.userId}` : `service:${actor.subject}`);

/** A service reads anyone's records; a user only their own. */
export const canSee = (actor: Actor, ownerId: string) => actor.kind === 'service' || actor.userId === ownerId;

export const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** A user id as a token's `sub` or an argument may carry it; PostgreSQL text cannot hold NUL at all. */
export const isUserId = (id: string) => id !== '' && id.length <= 128 && !/\p{Cc}/u.test(id);

/** Whose data a call is about: a service names the user, an end user may only name themselves. */
export function subjectOf(actor: Actor, userId: string | null | undefined): string {
  if (actor.kind === 'service') {
    if (!userId) throw new DomainError(ErrorCode.BAD_USER_INPUT, '服务调用须指定 userId');
    if (!isUserId(userId)) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'userId 无效');
    return userId;
  }
  if (userId && userId !== actor.userId) throw new DomainError(ErrorCode.FORBIDDEN);
  return actor.userId;
}
