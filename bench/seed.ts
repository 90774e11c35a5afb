import { BlindIndex } from '../src/crypto/blind-index.js';
import { newDataKey, parseMasterKeys, sealField } from '../src/crypto/envelope.js';
import { BENCH_INDEX_KEY, BENCH_MASTER_KEY, benchIdNumber, verificationIdOf, verifiedUserId } from './fixtures.js';

/** Runs one SQL text (several statements allowed): postgres.js `unsafe` or PGlite `exec`. */
export type RunSql = (text: string) => Promise<unknown>;

export interface SeedPlan {
  /** Verification records in total: 80 % VERIFIED (one per verified user), 20 % earlier FAILED attempts of some of them. */
  records: number;
  /** Open (PENDING) verifications of other users, for idle subscriptions. */
  pending: number;
}

export const verifiedUsersOf = (records: number) => Math.round(records * 0.8);

// Byte lengths of what PersonalDataVault writes: 0x01 ‖ iv 12 ‖ tag 16 ‖ UTF-8 text; a wrapped data key is 60.
const NAME_BYTES = 1 + 12 + 16 + Buffer.byteLength('张三');
const NUMBER_BYTES = 1 + 12 + 16 + 18;
const WRAPPED_KEY_BYTES = 60;
/** Users whose columns are sealed for real (through the same envelope functions as the vault). */
const REALLY_SEALED = 1000;

/** Pseudo-random bytes of a given length, distinct per row, so pages look like ciphertext (incompressible). */
const blob = (tag: string, bytes: number) => `substring(sha256(('${tag}' || i)::bytea) || sha256(('${tag}2' || i)::bytea) from 1 for ${bytes})`;

/**
 * Seeds in bulk with INSERT … SELECT generate_series: the bulk of the rows get ciphertext-shaped
 * bytes of the right lengths (never decrypted on the gate path), and the first 1 000 users get
 * columns sealed for real under their own data key, so masked reads work for them.
 */
export async function seed(run: RunSql, plan: SeedPlan): Promise<void> {
  const users = verifiedUsersOf(plan.records);
  const failed = plan.records - users;
  await run(`
    insert into user_keys (user_id, key_version, wrapped_key, created_at)
    select 'bench-u-' || i, 1, ${blob('k', WRAPPED_KEY_BYTES)}, now() - interval '1 day' * (i % 300)
    from generate_series(1, ${users}) i;

    insert into verifications (id, user_id, status, mode, name_cipher, id_number_cipher, id_number_index, outer_order_no,
      certify_id, certify_url, callback_token_hash, return_url, provider_sub_code, created_at, updated_at, expires_at, completed_at)
    select md5('bench-v-' || i)::uuid, 'bench-u-' || i, 'VERIFIED', 'SANDBOX', ${blob('n', NAME_BYTES)}, ${blob('c', NUMBER_BYTES)},
      encode(sha256(('x' || i)::bytea), 'hex'), md5('bench-v-' || i), md5('bench-c-' || i),
      'http://127.0.0.1:4001/certify/' || md5('bench-c-' || i), encode(sha256(('t' || i)::bytea), 'hex'),
      'http://localhost:4000/return', '200', t, t + interval '2 minutes', t + interval '30 minutes', t + interval '2 minutes'
    from (select i, now() - interval '1 day' * (i % 300) - interval '1 second' * (i % 86400) as t from generate_series(1, ${users}) i) s;

    insert into identities (user_id, verification_id, id_number_index, slot, verified_at, expires_at, mode)
    select 'bench-u-' || i, md5('bench-v-' || i)::uuid, encode(sha256(('x' || i)::bytea), 'hex'), 0, t, t + interval '365 days', 'SANDBOX'
    from (select i, now() - interval '1 day' * (i % 300) - interval '1 second' * (i % 86400) + interval '2 minutes' as t from generate_series(1, ${users}) i) s;

    insert into verifications (id, user_id, status, mode, name_cipher, id_number_cipher, id_number_index, outer_order_no,
      certify_id, return_url, failure_code, provider_sub_code, created_at, updated_at, expires_at, completed_at)
    select md5('bench-f-' || i)::uuid, 'bench-u-' || i, 'FAILED', 'SANDBOX', ${blob('fn', NAME_BYTES)}, ${blob('fc', NUMBER_BYTES)},
      encode(sha256(('x' || i)::bytea), 'hex'), md5('bench-f-' || i), md5('bench-fc-' || i), 'http://localhost:4000/return',
      'LIVENESS_RISK', '205', t, t + interval '1 minute', t + interval '30 minutes', t + interval '1 minute'
    from (select i, now() - interval '1 day' * (i % 300) - interval '1 second' * (i % 86400) - interval '1 hour' as t from generate_series(1, ${failed}) i) s;

    insert into verifications (id, user_id, status, mode, name_cipher, id_number_cipher, id_number_index, outer_order_no,
      certify_id, certify_url, callback_token_hash, return_url, created_at, updated_at, expires_at)
    select md5('bench-p-' || i)::uuid, 'bench-p-' || i, 'PENDING', 'SANDBOX', ${blob('pn', NAME_BYTES)}, ${blob('pc', NUMBER_BYTES)},
      encode(sha256(('px' || i)::bytea), 'hex'), md5('bench-p-' || i), md5('bench-pc-' || i),
      'http://127.0.0.1:4001/certify/' || md5('bench-pc-' || i), encode(sha256(('pt' || i)::bytea), 'hex'),
      'http://localhost:4000/return', now(), now(), now() + interval '2 hours'
    from generate_series(1, ${plan.pending}) i;
  `);
  await run(sealForReal(Math.min(users, REALLY_SEALED)));
  await run('analyze');
}

function sealForReal(count: number): string {
  const keyring = parseMasterKeys(BENCH_MASTER_KEY);
  const blindIndex = new BlindIndex(BENCH_INDEX_KEY);
  const hex = (b: Buffer) => `'\\x${b.toString('hex')}'::bytea`;
  const keys: string[] = [];
  const rows: string[] = [];
  for (let i = 1; i <= count; i++) {
    const userId = verifiedUserId(i);
    const rowId = verificationIdOf(i);
    const number = benchIdNumber(i);
    const dataKey = newDataKey();
    keys.push(`('${userId}', ${hex(keyring.wrapDataKey(dataKey, userId).ciphertext)})`);
    const name = sealField(dataKey, '张三', { table: 'verifications', column: 'name_cipher', rowId });
    const sealedNumber = sealField(dataKey, number, { table: 'verifications', column: 'id_number_cipher', rowId });
    rows.push(`('${rowId}'::uuid, ${hex(name)}, ${hex(sealedNumber)}, '${blindIndex.of(number)}')`);
    dataKey.fill(0);
  }
  return `
    update user_keys k set wrapped_key = v.key from (values ${keys.join(',')}) v(user_id, key) where k.user_id = v.user_id;
    with sealed(id, name, number, idx) as (values ${rows.join(',')}),
      moved as (update verifications r set name_cipher = s.name, id_number_cipher = s.number, id_number_index = s.idx
        from sealed s where r.id = s.id returning r.id, r.id_number_index)
    update identities i set id_number_index = moved.id_number_index from moved where i.verification_id = moved.id;
  `;
}
