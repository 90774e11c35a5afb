import { pino, type Logger } from 'pino';

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
    },
    destination,
  );
}
