import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type Response } from 'express';
import { SignJWT } from 'jose';
import { packageRoot } from '../db/database.js';
import { ADMIN_SCOPE } from './auth.js';
import type { Step } from './graphql-route.js';

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
 * The embedded mode's pages: the demo at `/demo`, the console at `/admin`, the offline GraphiQL at
 * `/graphiql`, and their sign-ins (`POST /demo/session`, `POST /admin/session` for an operator), which
 * hand a token to anyone who names an id. The
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
  router.get('/admin', page('admin'));
  router.get('/graphiql', page('graphiql'));
  router.use('/assets', express.static(join(webRoot, 'assets'), { immutable: true, maxAge: '1y', fallthrough: false }));

  // The development sign-ins: a user for the demo, an operator (scope realname:admin) for the console.
  router.post('/demo/session', express.json({ limit: 1024 }), devSession(signIn, {}));
  router.post('/admin/session', express.json({ limit: 1024 }), devSession(signIn, { scope: ADMIN_SCOPE }));
  return router;
}

function devSession(signIn: DevSignIn | undefined, claims: Record<string, string>) {
  return async (req: Request, res: Response) => {
    const userId = (req.body as { userId?: unknown } | undefined)?.userId;
    if (!signIn) {
      res.status(404).json({ error: 'NOT_FOUND' });
      return;
    }
    if (typeof userId !== 'string' || !DEV_USER_ID.test(userId)) {
      res.status(400).json({ error: 'BAD_USER_INPUT', message: '用户名只能包含字母、数字、下划线和连字符' });
      return;
    }
    const builder = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuedAt().setExpirationTime(DEV_TOKEN_LIFETIME);
    if (signIn.issuer) builder.setIssuer(signIn.issuer);
    if (signIn.audience) builder.setAudience(signIn.audience);
    res.set('cache-control', 'no-store').json({ token: await builder.sign(new TextEncoder().encode(signIn.secret)) });
  };
}

/**
 * Apollo's landing page would load its explorer from a CDN abroad: a browser opening `/graphql`
 * gets ours instead. A step of the `/graphql` route (outside production); `asExpress` lends the
 * request express's `accepts`.
 */
export function browserToGraphiql(asExpress: (req: IncomingMessage) => Request): Step {
  return (req, res, next) => {
    if (req.method !== 'GET' || asExpress(req).accepts(['application/json', 'text/html']) !== 'text/html') return next();
    res.statusCode = 302;
    res.setHeader('location', '/graphiql');
    res.end();
  };
}

/**
 * Production serves only the operator console (`/admin`) and its assets: the platform's SSO issues
 * the operator's token, which the console takes on its sign-in screen. No sign-in route here.
 */
export function operatorConsolePages(): Router {
  const router = Router();
  router.get('/admin', (_req, res) => {
    const file = join(webRoot, 'admin', 'index.html');
    if (!existsSync(file)) {
      res.status(503).type('text').send('页面尚未构建:请先运行 npm run build');
      return;
    }
    res.set('cache-control', 'no-cache').sendFile(file);
  });
  router.use('/assets', express.static(join(webRoot, 'assets'), { immutable: true, maxAge: '1y', fallthrough: false }));
  return router;
}
