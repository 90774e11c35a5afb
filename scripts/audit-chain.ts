import type { Config } from '../src/config.js';
import { loadOrCreateSecrets } from '../src/embedded-secrets.js';
import { AuditChain } from '../src/services/audit-log.js';

/**
 * The chain under the key the service runs with: AUDIT_CHAIN_KEY, or without DATABASE_URL the key
 * embedded in DATA_DIR. Without either, exits 2: events under another key would break the chain.
 */
export function serviceAuditChain(config: Pick<Config, 'AUDIT_CHAIN_KEY' | 'DATABASE_URL' | 'DATA_DIR'>): AuditChain {
  const key = config.AUDIT_CHAIN_KEY ?? (config.DATABASE_URL ? undefined : loadOrCreateSecrets(config.DATA_DIR).secrets.auditChainKey);
  if (!key) {
    console.error('set AUDIT_CHAIN_KEY to the key the service runs with');
    process.exit(2);
  }
  return new AuditChain(key);
}
