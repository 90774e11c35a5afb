import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';

/** The client's address (X-Forwarded-For only via trusted proxies, see `trust proxy`) and agent. */
export function clientMeta(req: Request | IncomingMessage) {
  const ip = 'ip' in req && typeof req.ip === 'string' ? req.ip : req.socket.remoteAddress;
  const userAgent = req.headers['user-agent'];
  return { clientIp: ip ?? undefined, userAgent: typeof userAgent === 'string' ? userAgent : undefined };
}

