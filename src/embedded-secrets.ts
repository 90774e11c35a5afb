import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateMasterKeySpec } from './crypto/envelope.js';

export interface Secrets {
  jwtSecret: string;
  masterKey: string;
  indexKey: string;
  auditChainKey: string;
}

/**
 * The embedded mode's keys: generated once into DATA_DIR and read back on every start, so data
 * written before a restart stays readable (the customer's draft made a new key per process).
 */
export function loadOrCreateSecrets(dataDir: string): { secrets: Secrets; created: boolean } {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets> & Omit<Secrets, 'auditChainKey'>;
    if (secrets.auditChainKey) return { secrets: secrets as Secrets, created: false };
    // Written before the chain was keyed: add its key, keep the others.
    const completed = { ...secrets, auditChainKey: randomBytes(32).toString('base64') };
    writeFileSync(file, JSON.stringify(completed, null, 2), { mode: 0o600 });
    return { secrets: completed, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: Secrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    masterKey: generateMasterKeySpec(1),
    indexKey: randomBytes(32).toString('base64'),
    auditChainKey: randomBytes(32).toString('base64'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  return { secrets, created: true };
}
