import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { nginxPrefix, outcome, removeTempDirs, tempDir } from './support.js';

const CONFIG = readFileSync('deploy/nginx/realname.conf', 'utf8');

describe('deploy/nginx/realname.conf', () => {
  afterAll(removeTempDirs);

  it('passes nginx -t with certificates and replicas filled in', async () => {
    const dir = tempDir('nginx-t');
    const conf = await nginxPrefix(dir, CONFIG, { replicas: ['127.0.0.1:4000', '127.0.0.1:4001'], httpPort: 8080, httpsPort: 8443 });
    const result = await outcome('nginx', ['-t', '-p', dir, '-c', conf]);
    expect(result.output).toContain('test is successful');
    expect(result.code).toBe(0);
  });

  it('is refused by nginx -t when its certificate is missing', async () => {
    const dir = tempDir('nginx-t-bad');
    const conf = await nginxPrefix(dir, CONFIG.replace('ssl_certificate tls/realname.crt;', 'ssl_certificate tls/missing.crt;'), { replicas: ['127.0.0.1:4000'], httpPort: 8080, httpsPort: 8443 });
    expect((await outcome('nginx', ['-t', '-p', dir, '-c', conf])).code).not.toBe(0);
  });

  it('keeps /metrics and /readyz off the public side', () => {
    expect(CONFIG).toMatch(/location = \/metrics \{\s*return 404;/);
    expect(CONFIG).toMatch(/location = \/readyz \{\s*return 404;/);
  });
});
