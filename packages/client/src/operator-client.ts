import type { ReviewDecision, ReviewStatus, StatsInterval } from './gql/graphql.js';
import {
  AdminUserQuery,
  AllowIdNumberMutation,
  AllowUserMutation,
  DecideReviewMutation,
  DenyIdNumberMutation,
  DenylistQuery,
  DenyUserMutation,
  FindAccountsQuery,
  ReleaseIdentityMutation,
  RevealIdentityMutation,
  ReviewCasesQuery,
  UnlockUserMutation,
  VerificationStatsQuery,
} from './operator-operations.js';
import { postOperation, type Document, type FetchLike, type TokenSource } from './transport.js';

export interface OperatorClientOptions {
  /** The GraphQL endpoint, e.g. `/graphql`. */
  url: string;
  /** An operator's bearer token (scope `realname:admin`), or a function asked before each request. */
  token: TokenSource;
  fetch?: FetchLike;
}

export type OperatorClient = ReturnType<typeof createOperatorClient>;

/**
 * The operator console's client: every call needs a `realname:admin` token and is audited on the
 * server with the operator and the reason given. Refusals throw `RealnameError` with the Chinese message.
 *
 * @example
 * const operator = createOperatorClient({ url: '/graphql', token });
 * const queue = await operator.reviewCases({ first: 20 });
 * await operator.decideReview(queue.edges[0].node.id, 'APPROVE', '户籍证明核对无误');
 */
export function createOperatorClient(options: OperatorClientOptions) {
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => (globalThis as unknown as { fetch: FetchLike }).fetch(url, init));
  const request = <R, V>(document: Document<R, V>, variables: V) => postOperation(fetchImpl, options.url, options.token, document, variables);
  return {
    reviewCases: async (args: { status?: ReviewStatus; first?: number; after?: string | null } = {}) => (await request(ReviewCasesQuery, args)).reviewCases,
    decideReview: async (caseId: string, decision: ReviewDecision, reason: string) => (await request(DecideReviewMutation, { caseId, decision, reason })).decideReview,
    adminUser: async (userId: string, page: { first?: number; after?: string | null } = {}) => (await request(AdminUserQuery, { userId, ...page })).adminUser,
    revealIdentity: async (userId: string, reason: string) => (await request(RevealIdentityMutation, { userId, reason })).revealIdentity,
    findAccountsByIdNumber: async (idCardNumber: string, reason: string) => (await request(FindAccountsQuery, { idCardNumber, reason })).findAccountsByIdNumber,
    unlockUser: async (userId: string, reason: string) => (await request(UnlockUserMutation, { userId, reason })).unlockUser,
    releaseIdentity: async (userId: string, reason: string) => (await request(ReleaseIdentityMutation, { userId, reason })).releaseIdentity,
    denylist: async () => (await request(DenylistQuery, {})).denylist,
    denyIdNumber: async (idCardNumber: string, reason: string) => (await request(DenyIdNumberMutation, { idCardNumber, reason })).denyIdNumber,
    allowIdNumber: async (idCardNumber: string, reason: string) => (await request(AllowIdNumberMutation, { idCardNumber, reason })).allowIdNumber,
    denyUser: async (userId: string, reason: string) => (await request(DenyUserMutation, { userId, reason })).denyUser,
    allowUser: async (userId: string, reason: string) => (await request(AllowUserMutation, { userId, reason })).allowUser,
    verificationStats: async (from: Date, to: Date, interval: StatsInterval) =>
      (await request(VerificationStatsQuery, { from: from.toISOString(), to: to.toISOString(), interval })).verificationStats,
  };
}
