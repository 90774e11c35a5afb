import { Router, type Request } from 'express';
import { isDatabaseUnavailable } from '../db/errors.js';
import type { Logger } from '../logger.js';
import { ProviderError } from '../providers/provider.js';
import { CallbackRefusal, CallbackRefused, type VerificationResultService } from '../services/verification-result.service.js';

const param = (req: Request, name: string): string | undefined => {
  const value = req.query[name] ?? (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * `GET|POST /callbacks/aliyun?certifyId&passed&subcode&callbackToken`. Never a user token: only the
 * per-verification token, then DescribeFaceVerify decides. `passed`/`subcode` are deliberately unread.
 */
export function callbackRoute(results: VerificationResultService, log: Logger): Router {
  const router = Router();
  router.all('/', async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.status(405).json({ error: 'METHOD_NOT_ALLOWED' });
      return;
    }
    try {
      const row = await results.handleCallback(param(req, 'certifyId'), param(req, 'callbackToken'));
      res.json({ ok: true, status: row.status });
    } catch (error) {
      if (error instanceof CallbackRefused) {
        const refused = error.reason === CallbackRefusal.MALFORMED ? { status: 400, error: 'BAD_REQUEST' } : { status: 403, error: 'FORBIDDEN' };
        res.status(refused.status).json({ error: refused.error });
        return;
      }
      if (error instanceof ProviderError) {
        // The reconciler will ask again; a 5xx also lets Aliyun retry its callback.
        log.warn({ providerCode: error.providerCode }, 'callback: provider unavailable');
        res.status(503).json({ error: 'PROVIDER_UNAVAILABLE' });
        return;
      }
      if (isDatabaseUnavailable(error)) {
        log.warn('callback: database unavailable');
        res.status(503).json({ error: 'SERVICE_UNAVAILABLE' });
        return;
      }
      log.error({ err: { type: (error as Error).name } }, 'callback failed');
      res.status(500).json({ error: 'INTERNAL_SERVER_ERROR' });
    }
  });
  return router;
}
