import { createClient, type Client as WsClient } from 'graphql-ws';
import { backoffDelay, sleep, type BackoffOptions } from './backoff.js';
import { isGraphQLErrorList, RealnameError } from './errors.js';
import type { DocumentReviewInput, FaceCheckInput, StartVerificationInput } from './gql/graphql.js';
import {
  AuthStatusQuery,
  CancelVerificationMutation,
  ConsentTermsQuery,
  RenewVerificationMutation,
  RequestDocumentReviewMutation,
  StartFaceCaptureMutation,
  StartStepUpMutation,
  StartVerificationMutation,
  SupportedDocumentsQuery,
  VerificationQuery,
  VerificationResultSubscription,
  VerifyIdentityMutation,
} from './operations.js';
import { SessionState, type Verification, type VerificationSession } from './session.js';
import { postFaceCapture, postOperation, type Document, type FetchLike, type TokenSource } from './transport.js';

/**
 * `online`: results arrive over the socket. `reconnecting`: the socket dropped and is being
 * reopened. `polling`: no socket could be opened, so open verifications are read over HTTP.
 */
export type ConnectionState = 'idle' | 'online' | 'reconnecting' | 'polling';

export interface RealnameClientOptions {
  /** The GraphQL endpoint, e.g. `https://realname.example.com/graphql`. */
  url: string;
  /** Defaults to `url` with `ws:`/`wss:`. */
  wsUrl?: string;
  /** A bearer token, or a function asked before each request and each (re)connection. */
  token: TokenSource;
  /** Defaults to the global `fetch`; mini-programs pass `wechatFetch(wx)` or `alipayFetch(my)`. */
  fetch?: FetchLike;
  /** Defaults to the global `WebSocket`; mini-programs pass `wechatWebSocket(wx)` or `alipayWebSocket(my)`. */
  webSocketImpl?: unknown;
  /** Failed connection attempts in a row before open verifications are polled over HTTP. */
  pollAfterFailures?: number;
  reconnectBackoff?: BackoffOptions;
  pollBackoff?: BackoffOptions;
}

export type RealnameClient = ReturnType<typeof createRealnameClient>;

/**
 * The typed client of the real-name service, for browsers, mini-programs and Node.
 *
 * @example
 * const client = createRealnameClient({ url: '/graphql', token: () => getToken() });
 * const terms = await client.consentTerms();
 * const session = await client.startVerification({ realName, idCardNumber, consentVersion: terms.version, biometricConsent: true });
 * const final = await session.result; // VERIFIED, FAILED, CANCELED or EXPIRED, pushed over graphql-ws
 */
export function createRealnameClient(options: RealnameClientOptions) {
  const fetchImpl = options.fetch ?? globalFetch();
  const reconnectBackoff = options.reconnectBackoff ?? { initialMs: 1_000, maxMs: 30_000 };
  const pollBackoff = options.pollBackoff ?? { initialMs: 2_000, maxMs: 15_000 };
  const pollAfterFailures = options.pollAfterFailures ?? 2;
  const url = absolute(options.url);
  const request = <R, V>(document: Document<R, V>, variables: V) => postOperation(fetchImpl, url, options.token, document, variables);

  const sessions = new Set<{ state: SessionState; resync: () => Promise<void>; poll: () => void }>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let connection: ConnectionState = 'idle';
  let failures = 0;
  let closed = false;
  const setConnection = (next: ConnectionState) => {
    if (next === connection) return;
    connection = next;
    for (const listener of [...connectionListeners]) listener(next);
    if (next === 'polling') for (const session of sessions) session.poll();
  };

  const ws = openSocket();

  function openSocket(): WsClient | undefined {
    let client: WsClient;
    try {
      client = createClient({
        url: options.wsUrl ?? url.replace(/^http/, 'ws'),
        webSocketImpl: options.webSocketImpl,
        connectionParams: async () => ({ authorization: `Bearer ${typeof options.token === 'function' ? await options.token() : options.token}` }),
        lazy: true,
        retryAttempts: Infinity,
        // graphql-ws retries only close events by default: a refused connection arrives as an
        // error event first and would end every subscription. Every failure is worth a retry here
        // (a 4403 for an expired token too: connectionParams asks for a fresh one).
        shouldRetry: () => true,
        retryWait: (retries) => sleep(backoffDelay(retries, reconnectBackoff)),
        on: {
          connected: (_socket, _payload, wasRetry) => {
            failures = 0;
            setConnection('online');
            // Events published while the socket was down are gone: read every open verification.
            if (wasRetry) for (const session of sessions) void session.resync();
          },
          closed: (event) => {
            const code = (event as { code?: number } | undefined)?.code;
            if (closed || code === 1000 || !sessions.size) return;
            failures += 1;
            setConnection(failures >= pollAfterFailures ? 'polling' : 'reconnecting');
          },
        },
      });
    } catch {
      return undefined; // no WebSocket here at all: open verifications are polled
    }
    return client;
  }

  function watch(initial: Verification): VerificationSession {
    const entry = {
      state: new SessionState(initial, () => {
        sessions.delete(entry);
        unsubscribe?.();
      }),
      resync: async () => {
        try {
          const { verification } = await request(VerificationQuery, { id: initial.id });
          if (verification) entry.state.deliver(verification);
          else entry.state.fail(new RealnameError('NOT_FOUND', '记录不存在'));
        } catch (error) {
          // A network failure while offline is expected: the next poll or reconnect tries again.
          if (error instanceof RealnameError && error.code !== 'NETWORK_ERROR') entry.state.fail(error);
        }
      },
      poll: () => {
        void (async () => {
          for (let attempt = 0; connection === 'polling' && !entry.state.settled && !closed; attempt++) {
            await entry.resync();
            await sleep(backoffDelay(attempt, pollBackoff));
          }
        })();
      },
    };
    const { state } = entry;
    let unsubscribe: (() => void) | undefined;
    if (!state.settled) {
      sessions.add(entry);
      unsubscribe = ws?.subscribe<{ verificationResult: Verification }>(
        { query: VerificationResultSubscription.toString(), variables: { id: initial.id } },
        {
          next: ({ data, errors }) => {
            if (isGraphQLErrorList(errors) && errors.length) state.fail(RealnameError.fromGraphQL(errors));
            else if (data) state.deliver(data.verificationResult);
          },
          error: (error) => state.fail(isGraphQLErrorList(error) ? RealnameError.fromGraphQL(error) : RealnameError.network(error)),
          complete: () => {
            // The server completes only after a terminal state, which `next` has delivered; if a
            // proxy cut the stream short, the record decides.
            if (!state.settled) void entry.resync();
          },
        },
      );
      if (!ws || connection === 'polling') entry.poll();
    }
    return {
      get verification() {
        return state.current;
      },
      result: state.result,
      on: (event, listener) => state.on(event, listener),
      cancel: async () => {
        const { cancelVerification } = await request(CancelVerificationMutation, { id: initial.id });
        state.deliver(cancelVerification);
        return cancelVerification;
      },
      close: () => {
        sessions.delete(entry);
        unsubscribe?.();
      },
    };
  }

  if (!ws) connection = 'polling';

  return {
    /** The notice and its version; pass `version` back as `consentVersion`. */
    consentTerms: async () => (await request(ConsentTermsQuery, {})).consentTerms,
    /** The documents this deployment verifies (`type` goes back as `documentType`), each with what it cannot take. */
    supportedDocuments: async () => (await request(SupportedDocumentsQuery, {})).supportedDocuments,
    /** The caller's real-name status (a service token may name `userId`). */
    authStatus: async (userId?: string) => (await request(AuthStatusQuery, { userId })).userAuthStatus,
    /**
     * The letter gate: `passed` only for a valid verified identity. With `maxFaceCheckAgeDays` (a
     * sensitive letter), an identity whose last face check is older answers `reason: 'STEP_UP_REQUIRED'`.
     */
    verifyIdentity: async (userId?: string, maxFaceCheckAgeDays?: number) => (await request(VerifyIdentityMutation, { userId, maxFaceCheckAgeDays })).verifyIdentity,
    /**
     * Starts (or, with the same `idempotencyKey`, resumes) a verification and follows it live.
     * `documentType` (default `RESIDENT_ID_CARD`) says which document the number is from;
     * `elderlyMode: true` asks Aliyun's liveness page for its 适老化模式 (larger type, voice prompts).
     *
     * @example
     * await client.startVerification({ realName, idCardNumber, documentType: 'TAIWAN_RESIDENCE_PERMIT', elderlyMode: true, consentVersion, biometricConsent: true });
     */
    startVerification: async (input: StartVerificationInput) => watch((await request(StartVerificationMutation, { input })).startVerification),
    /**
     * Renews the held identity once `authStatus().renewable`: no name or number is sent, the user
     * only does the face check on `certifyUrl`, and on success the identity's validity starts again.
     * Before the window the server answers `RENEWAL_NOT_OPEN` (with `renewableFrom`). In a WeChat
     * mini-program pass `faceCapture: true` and send the camera's photo with `submitFaceCapture`.
     *
     * @example
     * const status = await client.authStatus();
     * if (status.renewable) location.href = (await client.renew({ consentVersion, biometricConsent: true })).verification.certifyUrl!;
     */
    renew: async (input: FaceCheckInput) => watch((await request(RenewVerificationMutation, { input })).renewVerification),
    /**
     * After the gate answered `STEP_UP_REQUIRED`: one face check against the held identity. On
     * success the identity's face-check time moves and the gate passes again; its expiry stays.
     * `faceCapture: true` is the WeChat path, as for `renew`.
     */
    startStepUp: async (input: FaceCheckInput) => watch((await request(StartStepUpMutation, { input })).startStepUp),
    /**
     * The WeChat path: like `startVerification`, but liveness is the mini-program's own camera.
     * Send the photo with `submitFaceCapture`; the result arrives on the session all the same.
     *
     * @example
     * const session = await client.startFaceCapture(input);
     * await client.submitFaceCapture(session.verification, photo); // ArrayBuffer from the camera
     * const final = await session.result;
     */
    startFaceCapture: async (input: StartVerificationInput) => watch((await request(StartFaceCaptureMutation, { input })).startFaceCapture),
    /** Uploads the photo (JPEG or PNG, at most 1 MB) to the verification's `faceCaptureUrl`. */
    submitFaceCapture: async (verification: Pick<Verification, 'faceCaptureUrl'>, image: ArrayBuffer, contentType: 'image/jpeg' | 'image/png' = 'image/jpeg') => {
      if (!verification.faceCaptureUrl) throw new RealnameError('BAD_USER_INPUT', '本次认证不接受照片,请重新开始');
      return postFaceCapture(fetchImpl, verification.faceCaptureUrl, options.token, image, contentType);
    },
    /**
     * For a document Aliyun cannot verify (港澳/台湾居民来往内地(大陆)通行证, 外国人永久居留身份证): asks an
     * operator to check it. `reviewConsent` is the consent to `consentTerms().reviewText`. The session
     * follows the case's MANUAL verification: PROCESSING until an operator decides, then VERIFIED or
     * FAILED (`REVIEW_REJECTED`). A second request while a case is open is refused (`BAD_USER_INPUT`).
     *
     * @example
     * const { reviewCase, session } = await client.requestDocumentReview({ documentType: 'HK_MACAO_TRAVEL_PERMIT', realName, documentNumber, consentVersion, reviewConsent: true });
     * const final = await session.result;
     */
    requestDocumentReview: async (input: DocumentReviewInput) => {
      const { requestDocumentReview } = await request(RequestDocumentReviewMutation, { input });
      const { verification, ...reviewCase } = requestDocumentReview;
      return { reviewCase, session: watch(verification) };
    },
    /** Follows a verification started earlier, e.g. `authStatus().latestVerification` after a reload. */
    watchVerification: (verification: Verification) => watch(verification),
    cancel: async (id: string) => (await request(CancelVerificationMutation, { id })).cancelVerification,
    get connection() {
      return connection;
    },
    onConnection(listener: (state: ConnectionState) => void) {
      connectionListeners.add(listener);
      return () => {
        connectionListeners.delete(listener);
      };
    },
    async close() {
      closed = true;
      for (const session of sessions) session.state.fail(new RealnameError('CLIENT_CLOSED', '已断开'));
      // dispose() rethrows the last failed connection attempt, which no longer matters.
      await Promise.resolve(ws?.dispose()).catch(() => {});
    },
  };
}

/** A path such as `/graphql` is resolved against the page; mini-programs have no page URL and no `URL`. */
function absolute(url: string): string {
  const { location, URL } = globalThis as unknown as { location?: { href: string }; URL: new (url: string, base: string) => { href: string } };
  return /^[a-z][a-z\d+.-]*:/i.test(url) || !location ? url : new URL(url, location.href).href;
}

function globalFetch(): FetchLike {
  const fetch = (globalThis as { fetch?: FetchLike }).fetch;
  if (!fetch) throw new Error('no fetch here: pass `fetch` (wechatFetch(wx) or alipayFetch(my) in mini-programs)');
  return (url, init) => fetch(url, init);
}
