import express, { Router, type Request, type Response } from 'express';
import type { Actor } from '../domain/actor.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { failureReason } from '../domain/verification-status.js';
import type { Logger } from '../logger.js';
import { MAX_FACE_CAPTURE_BYTES, type FaceCaptureService } from '../services/face-capture.service.js';
import { clientMeta } from './client-meta.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.PROVIDER_UNAVAILABLE]: 503,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/**
 * `POST /face-captures/<verificationId>`: the second step of the WeChat path, the photo itself.
 * A raw `image/jpeg` or `image/png` body (a mini-program's `wx.request` with an ArrayBuffer), up to
 * 1 MB: GraphQL and graphql-ws stay under their 64 KiB body cap, and the photo is not inflated by
 * base64 nor held in a JSON parser. The bearer token is the user's, as for GraphQL. The body is
 * never logged. Answers `{ verification: { id, status, failureReason } }`; the subscription too.
 */
export function faceCaptureRoute(captures: FaceCaptureService, authenticate: (authorization: string) => Promise<Actor>, log: Logger): Router {
  const router = Router();
  router.post(
    '/:id',
    (req: Request, res: Response, next: (error?: unknown) => void) => {
      if (Number(req.headers['content-length'] ?? 0) > MAX_FACE_CAPTURE_BYTES) return refuse(res, 413, 'PAYLOAD_TOO_LARGE', '照片不能超过 1 MB');
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'image/jpeg' && type !== 'image/png') return refuse(res, 415, ErrorCode.BAD_USER_INPUT, '请以 image/jpeg 或 image/png 上传照片');
      next();
    },
    express.raw({ type: ['image/jpeg', 'image/png'], limit: MAX_FACE_CAPTURE_BYTES }),
    async (req: Request, res: Response) => {
      try {
        const authorization = req.headers.authorization;
        if (!authorization) throw new DomainError(ErrorCode.UNAUTHENTICATED);
        const actor = await authenticate(authorization);
        const image = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const row = await captures.submit(actor, String(req.params.id), image, clientMeta(req));
        res.json({ verification: { id: row.id, status: row.status, failureReason: failureReason(row.failureCode) } });
      } catch (error) {
        if (error instanceof DomainError) return refuse(res, STATUS[error.code] ?? 400, error.code, error.message, error.details);
        log.error({ err: { type: (error as Error).name } }, 'face capture failed');
        refuse(res, 500, 'INTERNAL_SERVER_ERROR', '服务内部错误');
      }
    },
  );
  return router;
}

function refuse(res: Response, status: number, code: string, message: string, details: Readonly<Record<string, unknown>> = {}) {
  res.status(status).json({ errors: [{ message, extensions: { ...details, code } }] });
}
