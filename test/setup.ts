import 'reflect-metadata';
import { useAuditChainKey } from '../src/services/audit-log.js';
import { TEST_AUDIT_CHAIN_KEY } from './support/app.js';

// Tests that append to a chain without starting an app (createApp sets the key itself).
useAuditChainKey(TEST_AUDIT_CHAIN_KEY);
