import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Global setup: a certificate for localhost, made for this run, that the test processes trust. Test
 * workers are forked after this runs and read NODE_EXTRA_CA_CERTS when they start, so fetch and
 * WebSocket clients (and an in-process sandbox calling back through nginx) accept nginx's TLS.
 */
export function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'realname-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'realname.key'), '-out', join(dir, 'realname.crt')], { stdio: 'pipe' });
  const system = process.env.NODE_EXTRA_CA_CERTS ? readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8') : '';
  writeFileSync(join(dir, 'trusted.pem'), `${system}\n${readFileSync(join(dir, 'realname.crt'), 'utf8')}`);
  process.env.REALNAME_TEST_TLS_DIR = dir;
  process.env.NODE_EXTRA_CA_CERTS = join(dir, 'trusted.pem');
  return () => rmSync(dir, { recursive: true, force: true });
}
