import { pino, type Logger } from 'pino';
import { currentScope } from './telemetry/context.js';

export type { Logger };

/**
 * Paths that could ever carry personal data are censored before a line is written. Code should not
 * log them in the first place; this is the second wall.
 */
const redact = [
  'realName',
  'idCardNumber',
  'idNumber',
  'imageBase64',
  'name',
  'certName',
  'certNo',
  'CertName',
  'CertNo',
  'authorization',
  'token',
  'callbackToken',
  '*.realName',
  '*.idCardNumber',
  '*.idNumber',
  '*.imageBase64',
  '*.name',
  '*.certName',
  '*.certNo',
  '*.CertName',
  '*.CertNo',
  '*.authorization',
  '*.token',
  '*.callbackToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'variables',
  '*.variables',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redact, censor: '[REDACTED]' },
      base: { service: 'realname' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every line written while a request (or a reconciler run) is handled names it, and the
      // verification once known: one grep follows a verification through provider, callback and events.
      mixin: () => {
        const scope = currentScope();
        if (!scope) return {};
        return scope.verificationId ? { requestId: scope.requestId, verificationId: scope.verificationId } : { requestId: scope.requestId };
      },
    },
    destination,
  );
}
