import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type Response } from 'express';
import { SignJWT } from 'jose';
import { packageRoot } from '../db/database.js';

/** Where `npm run build` (Vite) puts the pages: one HTML entry per app, shared hashed assets. */
export const webRoot = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'web', 'dist');

export interface DevSignIn {
  secret: string;
  issuer?: string;
  audience?: string;
}

const DEV_USER_ID = /^[\w-]{1,64}$/;
const DEV_TOKEN_LIFETIME = '1h';

/**
 * The embedded mode's pages: the demo at `/demo`, the offline GraphiQL at `/graphiql`, and the
 * demo's sign-in (`POST /demo/session`), which hands a token to anyone who names a user id. The
 * caller mounts this only outside production; the sign-in also needs the HS256 secret.
 */
export function embeddedPages(signIn: DevSignIn | undefined): Router {
  const router = Router();
  const page = (name: string) => (_req: Request, res: Response) => {
    const file = join(webRoot, name, 'index.html');
    if (!existsSync(file)) {
      res.status(503).type('text').send('页面尚未构建:请先运行 npm run build');
      return;
    }
    res.set('cache-control', 'no-cache').sendFile(file);
  };
  router.get('/demo', page('demo'));
  router.get('/graphiql', page('graphiql'));
  // Apollo's landing page would load its explorer from a CDN abroad: a browser gets ours instead.
  // Not `router.get('/graphql')`: a route would make Express answer the CORS preflight itself.
  router.use((req, res, next) => {
    if (req.method === 'GET' && req.path === '/graphql' && req.accepts(['application/json', 'text/html']) === 'text/html') res.redirect(302, '/graphiql');
    else next();
  });
  router.use('/assets', express.static(join(webRoot, 'assets'), { immutable: true, maxAge: '1y', fallthrough: false }));

  router.post('/demo/session', express.json({ limit: 1024 }), async (req, res) => {
    const userId = (req.body as { userId?: unknown } | undefined)?.userId;
    if (!signIn) {
      res.status(404).json({ error: 'NOT_FOUND' });
      return;
    }
    if (typeof userId !== 'string' || !DEV_USER_ID.test(userId)) {
      res.status(400).json({ error: 'BAD_USER_INPUT', message: '用户名只能包含字母、数字、下划线和连字符' });
      return;
    }
    const builder = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuedAt().setExpirationTime(DEV_TOKEN_LIFETIME);
    if (signIn.issuer) builder.setIssuer(signIn.issuer);
    if (signIn.audience) builder.setAudience(signIn.audience);
    res.set('cache-control', 'no-store').json({ token: await builder.sign(new TextEncoder().encode(signIn.secret)) });
  });
  return router;
}
