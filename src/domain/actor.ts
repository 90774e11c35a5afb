import { DomainError, ErrorCode } from './errors.js';

/**
 * Who is calling. End users act only on themselves; the letter backend (service) on anyone;
 * operators (support staff, `realname:admin`) only through the operator operations, each audited.
 */
export type Actor =
  | { kind: 'user'; userId: string; expiresAt?: Date }
  /** `mayRedact`: the token also holds `realname:redact`, which `redactUser` needs. */
  | { kind: 'service'; subject: string; mayRedact?: boolean; expiresAt?: Date }
  | { kind: 'operator'; operatorId: string; expiresAt?: Date };

/** How an actor is named in the audit trail: `user:<id>`, `service:<sub>` or `operator:<sub>`. */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return `user:${actor.userId}`;
    case 'service':
      return `service:${actor.subject}`;
    case 'operator':
      return `operator:${actor.operatorId}`;
  }
}

/** A service reads anyone's records; a user only their own; operators read people only through adminUser and the like. */
export const canSee = (actor: Actor, ownerId: string) => actor.kind === 'service' || (actor.kind === 'user' && actor.userId === ownerId);

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
  if (actor.kind === 'operator' || (userId && userId !== actor.userId)) throw new DomainError(ErrorCode.FORBIDDEN);
  return actor.userId;
}
