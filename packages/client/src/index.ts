// The package's public surface.
export { createRealnameClient, type ConnectionState, type RealnameClient, type RealnameClientOptions } from './client.js';
export { RealnameError, type RealnameErrorCode } from './errors.js';
export { isTerminal, type Verification, type VerificationEvents, type VerificationSession } from './session.js';
export type { FetchLike, TokenSource } from './transport.js';
export type { AuthStatus, AuthStatusQuery, ConsentTermsQuery, DocumentReviewInput, DocumentType, FaceCheckInput, ReviewDocumentType, StartVerificationInput, SupportedDocumentsQuery, VerificationStatus, VerifyIdentityMutation } from './gql/graphql.js';
export { wechatFetch, wechatWebSocket, type WechatLike } from './miniprogram/wechat.js';
export { alipayFetch, alipayWebSocket, type AlipayLike } from './miniprogram/alipay.js';
export type { MiniProgramWebSocket, MiniProgramWebSocketConstructor } from './miniprogram/miniprogram-socket.js';
export { createOperatorClient, type OperatorClient, type OperatorClientOptions } from './operator-client.js';
export type { AdminUserQuery, ReviewCasesQuery, ReviewDecision, ReviewStatus, StatsInterval, VerificationStatsQuery } from './gql/graphql.js';
export { verifyWebhookSignature, type VerifyWebhookOptions, type WebhookVerification } from './webhook-signature.js';
