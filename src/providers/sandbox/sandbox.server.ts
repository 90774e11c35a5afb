import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  renderCertifyPage,
  renderDonePage,
  renderGonePage,
  renderNotFoundPage,
} from './certify-page.js';
import { CLOUDAUTH_ACTIONS, completeSession, isHttpUrl, type CertifySession } from './cloudauth.actions.js';
import { FaultPlan, type SandboxFault } from './faults.js';
import { maskIdCardNumber, maskName } from '../../domain/masking.js';
import { SANDBOX_FACE_PICTURE } from './magic-images.js';
import { documentNameOf } from './magic-numbers.js';
import { META_INFO_SCRIPT_PATH, metaInfoScript } from './meta-info.js';
import { createReplayGuard, verifySignature, type SignedRequest } from './signature.js';

export type { SandboxFault } from './faults.js';

export interface SandboxOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** How browsers reach the sandbox, for CertifyUrl; defaults to `url`. */
  publicUrl?: string;
  now?: () => Date;
  /**
   * Waits before each new try of a callback that was not answered 200 (Aliyun retries those; its
   * documents give no schedule). Default: 5 s, 30 s, 2 min.
   */
  callbackRetryDelaysMs?: readonly number[];
  /**
   * Aliyun calls back only an `https` CallbackUrl and answers Code 401 to any other. A local run
   * whose service has only an http address may allow http here; nothing else differs.
   */
  allowHttpCallbacks?: boolean;
  /** Per-API queries per second, as Aliyun's "API独享QPS限量"; beyond it, Throttling.User. */
  qpsLimits?: Readonly<Record<string, number>>;
}

/** No PII: which action, when, and the few non-personal parameters tests look at. */
export interface SandboxCall {
  action: string;
  at: Date;
  certType?: string;
  model?: string;
  suitableType?: string;
}

export interface CallbackAttempt {
  certifyId: string;
  ok: boolean;
  status?: number;
  /** 1 for the first call, then 2, 3… for Aliyun-style retries. */
  attempt: number;
  /** The URL as called (our callback secret included: a test double's memory only). */
  url: string;
}

export interface Sandbox {
  /** Base URL of the API and the certify pages, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly calls: readonly SandboxCall[];
  readonly callbacks: readonly CallbackAttempt[];
  setFault(fault: SandboxFault): void;
  clearFaults(): void;
  /** What pressing a button on the certify page does, without a browser. */
  complete(certifyId: string, outcome: 'pass' | 'fail'): Promise<'done' | 'gone' | 'unknown'>;
  close(): Promise<void>;
}

const API_VERSION = '2019-03-07';
const SESSION_TTL_MS = 30 * 60_000;
const CALLBACK_TIMEOUT_MS = 5_000;
const CALLBACK_RETRY_DELAYS_MS = [5_000, 30_000, 120_000];
// ContrastFaceVerify carries a base64 photo in the form body (Aliyun asks for photos under 1 MB).
const BODY_LIMIT = 3 * 1024 * 1024;
const THROTTLED = { code: 'Throttling.User', message: 'Request was denied due to user flow control.' };

/**
 * A small fake of Aliyun cloudauth (API 2019-03-07) over real HTTP: signed RPC calls at `/`,
 * certify pages at `/certify/<CertifyId>`. See magic-numbers.ts for the numbers that fail.
 *
 * @example
 * const sandbox = await startSandbox({ port: 0, accessKeyId: 'ak', accessKeySecret: 'secret' });
 * // point a cloudauth client at sandbox.url; later: await sandbox.close();
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const now = options.now ?? (() => new Date());
  const sessions = new Map<string, CertifySession>();
  const sourceLost = new Set<string>();
  const replayGuard = createReplayGuard(now);
  const recentCalls = new Map<string, number[]>();
  const faults = new FaultPlan();
  const calls: SandboxCall[] = [];
  const callbacks: CallbackAttempt[] = [];
  const retryTimers = new Set<NodeJS.Timeout>();
  const retryDelays = options.callbackRetryDelaysMs ?? CALLBACK_RETRY_DELAYS_MS;
  let publicUrl = '';

  // The first call is awaited (the page redirects after it); retries run on their own timers.
  async function deliver(session: CertifySession, attempt = 1): Promise<void> {
    const result = await notify(session, attempt);
    callbacks.push(result);
    const delay = retryDelays[attempt - 1];
    if (result.ok || delay === undefined) return;
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      void deliver(session, attempt + 1);
    }, delay);
    timer.unref();
    retryTimers.add(timer);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const request: SignedRequest = {
      method: req.method ?? 'GET',
      pathname: url.pathname,
      query: [...url.searchParams],
      form: isForm ? [...new URLSearchParams(body.toString('utf8'))] : [],
      body,
      headers: req.headers,
    };
    const params = new Map([...request.query, ...request.form]);
    const acs3Action = req.headers['x-acs-action'];
    const action = (typeof acs3Action === 'string' ? acs3Action : undefined) ?? params.get('Action') ?? '';
    calls.push({ action, at: now(), ...nonPersonalParams(params) });

    const requestId = randomUUID().toUpperCase();
    const fault = faults.take(action);
    if (fault?.kind === 'delay') await sleep(fault.ms ?? 1_000);
    if (fault?.kind === 'timeout') return; // never answered; close() drops the socket
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'http500') {
      return sendJson(res, 500, errorBody(requestId, 'InternalError', 'The request processing has failed due to some unknown error.'));
    }
    if (fault?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(`{"RequestId":"${requestId}","Code":"200","ResultObj`);
    }
    if (fault?.kind === 'code500') return sendJson(res, 200, { RequestId: requestId, Code: '500', Message: '系统错误' });
    if (fault?.kind === 'throttle' || overQps(action)) return sendJson(res, 400, errorBody(requestId, THROTTLED.code, THROTTLED.message));

    const verdict =
      fault?.kind === 'badSignature'
        ? ({ ok: false, status: 400, code: 'SignatureDoesNotMatch', message: 'Specified signature is not matched with our calculation.' } as const)
        : verifySignature(request, options, replayGuard);
    if (!verdict.ok) return sendJson(res, verdict.status, errorBody(requestId, verdict.code, verdict.message));

    const version = verdict.style === 'ACS3' ? req.headers['x-acs-version'] : params.get('Version');
    if (version !== API_VERSION) {
      return sendJson(res, 400, errorBody(requestId, 'InvalidVersion', 'Specified parameter Version is not valid.'));
    }
    const run = Object.hasOwn(CLOUDAUTH_ACTIONS, action) ? CLOUDAUTH_ACTIONS[action] : undefined;
    if (!run) {
      return sendJson(res, 404, errorBody(requestId, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.'));
    }
    sendJson(res, 200, run(params, { requestId, sessions, sourceLost, publicUrl, allowHttpCallbacks: options.allowHttpCallbacks ?? false, now }));
  }

  function overQps(action: string): boolean {
    const limit = options.qpsLimits?.[action];
    if (limit === undefined) return false;
    const at = now().getTime();
    const recent = (recentCalls.get(action) ?? []).filter((t) => at - t < 1_000);
    recentCalls.set(action, recent);
    if (recent.length >= limit) return true;
    recent.push(at);
    return false;
  }

  async function complete(certifyId: string, outcome: 'pass' | 'fail'): Promise<'done' | 'gone' | 'unknown'> {
    const session = sessions.get(certifyId);
    if (!session) return 'unknown';
    if (session.result || now().getTime() - session.createdAt > SESSION_TTL_MS) return 'gone';
    completeSession(session, outcome, now(), sourceLost);
    if (session.callbackUrl) await deliver(session);
    return 'done';
  }

  async function handleCertify(req: IncomingMessage, res: ServerResponse, certifyId: string, body: Buffer) {
    const session = sessions.get(certifyId);
    if (!session) return sendHtml(res, 404, renderNotFoundPage());
    if (req.method === 'GET') {
      if (session.result || now().getTime() - session.createdAt > SESSION_TTL_MS) {
        return sendHtml(res, 410, renderGonePage());
      }
      return sendHtml(
        res,
        200,
        renderCertifyPage({
          certifyId,
          outerOrderNo: session.outerOrderNo,
          maskedName: maskName(session.certName),
          maskedCertNo: maskIdCardNumber(session.certNo),
          documentName: documentNameOf(session.certNo),
          model: session.model,
          suitableType: session.suitableType,
          ip: session.ip,
        }),
      );
    }
    const outcome = new URLSearchParams(body.toString('utf8')).get('outcome');
    if (outcome !== 'pass' && outcome !== 'fail') return sendHtml(res, 400, renderNotFoundPage());
    if ((await complete(certifyId, outcome)) !== 'done') return sendHtml(res, 410, renderGonePage());
    if (session.returnUrl) {
      res.writeHead(303, { location: session.returnUrl });
      return void res.end();
    }
    sendHtml(res, 200, renderDonePage(session.result?.passed ?? false));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const certify = /^\/certify\/([0-9a-f]{32})$/.exec(url.pathname);
    const material = /^\/materials\/([0-9a-f]{32})\/facialPictureFront\.jpg$/.exec(url.pathname);
    const method = req.method ?? 'GET';
    readBody(req)
      .then(async (body) => {
        if (url.pathname === META_INFO_SCRIPT_PATH && method === 'GET') {
          res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
          return void res.end(metaInfoScript());
        }
        // MaterialInfo's facialPictureFront.pictureUrl: the face of a finished session, like Aliyun's OSS link.
        if (material && method === 'GET') {
          if (!sessions.get(material[1] ?? '')?.result) return sendJson(res, 404, errorBody(randomUUID().toUpperCase(), 'NotFound', 'Not found.'));
          res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' });
          return void res.end(SANDBOX_FACE_PICTURE);
        }
        if (url.pathname === '/' && (method === 'GET' || method === 'POST')) return handleApi(req, res, url, body);
        if (certify && (method === 'GET' || method === 'POST')) return handleCertify(req, res, certify[1] ?? '', body);
        sendJson(res, 404, errorBody(randomUUID().toUpperCase(), 'NotFound', 'Not found.'));
      })
      .catch(() => {
        if (!res.headersSent) sendJson(res, 400, errorBody(randomUUID().toUpperCase(), 'InvalidRequest', 'Bad request.'));
        else res.destroy();
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const url = baseUrl(server.address() as AddressInfo);
  publicUrl = (options.publicUrl ?? url).replace(/\/$/, '');

  return {
    url,
    calls,
    callbacks,
    setFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    complete,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of retryTimers) clearTimeout(timer);
        retryTimers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * Calls CallbackUrl as Aliyun documents it (InitFaceVerify, CallbackUrl): "平台在完成认证后会回调该
 * 地址，并自动添加`certifyId`、`passed`和`subcode`字段，示例：…?certifyId=xxxx&passed=T&subcode=200";
 * and CallbackToken: "如果传入该参数会在回调地址显示CallbackToken字段" — appended as its own field.
 * Only an HTTP 200 counts as delivered.
 */
async function notify(session: CertifySession, attempt: number): Promise<CallbackAttempt> {
  const target = new URL(session.callbackUrl ?? '');
  target.searchParams.append('certifyId', session.certifyId);
  target.searchParams.append('passed', session.result?.passed ? 'T' : 'F');
  target.searchParams.append('subcode', session.result?.subCode ?? '');
  if (session.callbackToken) target.searchParams.append('callbackToken', session.callbackToken);
  const base = { certifyId: session.certifyId, attempt, url: target.href };
  if (!isHttpUrl(target.href)) return { ...base, ok: false };
  try {
    const response = await fetch(target, { signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS), redirect: 'manual' });
    await response.body?.cancel();
    return { ...base, ok: response.status === 200, status: response.status };
  } catch {
    return { ...base, ok: false };
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function nonPersonalParams(params: ReadonlyMap<string, string>): Omit<SandboxCall, 'action' | 'at'> {
  const picked = { certType: params.get('CertType'), model: params.get('Model'), suitableType: params.get('SuitableType') };
  return Object.fromEntries(Object.entries(picked).filter(([, value]) => value)) as Omit<SandboxCall, 'action' | 'at'>;
}

function errorBody(requestId: string, code: string, message: string) {
  return { RequestId: requestId, HostId: 'cloudauth.aliyuncs.com', Code: code, Message: message };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

function baseUrl(address: AddressInfo): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
