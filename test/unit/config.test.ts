import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, tracesEnabled } from '../../src/config.js';

describe(loadConfig.name, () => {
  it('runs embedded with nothing configured', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 4000, DATA_DIR: './data', provider: 'sandbox', SANDBOX_PORT: 4001 });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad variable at once', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url', LOCKOUT_FAILURES: '0' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.join('\n')).toMatch(/PORT/);
    expect(error!.problems.join('\n')).toMatch(/DATABASE_URL/);
    expect(error!.problems.join('\n')).toMatch(/LOCKOUT_FAILURES/);
  });

  it('refuses production without its keys and never echoes values', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'short-secret-value' })).toThrow(
      /AUTH_JWT_SECRET[\s\S]*REALNAME_MASTER_KEY[\s\S]*REALNAME_INDEX_KEY/,
    );
    try {
      loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'short-secret-value' });
    } catch (e) {
      expect(String(e)).not.toContain('short-secret-value');
    }
  });

  it('requires every Aliyun setting once the Aliyun provider is chosen', () => {
    expect(() => loadConfig({ ALIYUN_ACCESS_KEY_ID: 'ak' })).toThrow(/ALIYUN_ACCESS_KEY_SECRET[\s\S]*ALIYUN_SCENE_ID/);
  });

  describe('in production (fails closed)', () => {
    const PRODUCTION = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://realname@db.internal:5432/realname',
      PUBLIC_BASE_URL: 'https://realname.example',
      AUTH_JWKS_URL: 'https://id.example/.well-known/jwks.json',
      AUTH_ISSUER: 'https://id.example',
      AUTH_AUDIENCE: 'realname',
      REALNAME_MASTER_KEY: `v1:${Buffer.alloc(32, 1).toString('base64')}`,
      REALNAME_INDEX_KEY: Buffer.alloc(32, 2).toString('base64'),
      AUDIT_CHAIN_KEY: Buffer.alloc(32, 3).toString('base64'),
      METRICS_TOKEN: 'metrics-token-of-some-length',
      ALIYUN_ACCESS_KEY_ID: 'ak',
      ALIYUN_ACCESS_KEY_SECRET: 'secret',
      ALIYUN_SCENE_ID: '1000000',
    };
    const problemsWith = (change: Record<string, string | undefined>) => {
      try {
        loadConfig({ ...PRODUCTION, ...change });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };

    it('starts with everything set', () => {
      expect(problemsWith({})).toEqual([]);
    });

    it.each([
      'DATABASE_URL',
      'AUTH_ISSUER',
      'AUTH_AUDIENCE',
      'AUDIT_CHAIN_KEY',
    ])('requires %s', (name) => {
      expect(problemsWith({ [name]: undefined })).toEqual([expect.stringMatching(new RegExp(`^${name}: required`))]);
    });

    it('requires an https PUBLIC_BASE_URL', () => {
      expect(problemsWith({ PUBLIC_BASE_URL: 'http://realname.example' })).toEqual([expect.stringMatching(/^PUBLIC_BASE_URL: must be https/)]);
    });

    it('requires an https JWKS URL', () => {
      expect(problemsWith({ AUTH_JWKS_URL: 'http://id.example/jwks.json' })).toEqual([expect.stringMatching(/^AUTH_JWKS_URL: must be https/)]);
    });

    it('requires METRICS_TOKEN, or METRICS_PORT instead', () => {
      expect(problemsWith({ METRICS_TOKEN: undefined })).toEqual([expect.stringMatching(/^METRICS_TOKEN: required/)]);
      expect(problemsWith({ METRICS_TOKEN: undefined, METRICS_PORT: '9464' })).toEqual([]);
    });

    it('refuses the sandbox unless ALLOW_SANDBOX=true', () => {
      const sandbox = { PROVIDER: 'sandbox', ALIYUN_ACCESS_KEY_ID: undefined, ALIYUN_ACCESS_KEY_SECRET: undefined, ALIYUN_SCENE_ID: undefined };
      expect(problemsWith(sandbox)).toEqual([expect.stringMatching(/^PROVIDER: the sandbox emulator is refused/)]);
      expect(problemsWith({ ...sandbox, ALLOW_SANDBOX: 'true' })).toEqual([]);
    });

    it('requires an https WEBHOOK_URL with a secret of at least 32 characters', () => {
      const secret = 'w'.repeat(32);
      expect(problemsWith({ WEBHOOK_URL: 'https://letters.example/hooks/realname', WEBHOOK_SECRET: secret })).toEqual([]);
      expect(problemsWith({ WEBHOOK_URL: 'http://letters.example/hooks/realname', WEBHOOK_SECRET: secret })).toEqual([expect.stringMatching(/^WEBHOOK_URL: must be https/)]);
      expect(problemsWith({ WEBHOOK_URL: 'https://letters.example/hooks/realname' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET: required/)]);
      expect(problemsWith({ WEBHOOK_URL: 'https://letters.example/hooks/realname', WEBHOOK_SECRET: 'too-short' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET:/)]);
    });

    it('lets only the staging sandbox call back over plain http', () => {
      const staging = { PROVIDER: 'sandbox', ALLOW_SANDBOX: 'true', PUBLIC_BASE_URL: 'http://realname.staging.internal' };
      expect(problemsWith(staging)).toEqual([]);
    });
  });

  it('exports traces only with an OTLP endpoint, and not when OTEL_SDK_DISABLED=true', () => {
    expect(tracesEnabled(loadConfig({}))).toBe(false);
    const traced = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect(tracesEnabled(traced)).toBe(true);
    expect(traced).toMatchObject({ OTEL_SERVICE_NAME: 'realname', OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_TRACES_SAMPLER_ARG: 1 });
    expect(tracesEnabled(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }))).toBe(false);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector', OTEL_TRACES_SAMPLER: 'sometimes', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT[\s\S]*OTEL_TRACES_SAMPLER[\s\S]*OTEL_TRACES_SAMPLER_ARG/,
    );
  });

  it('sends no webhooks unless WEBHOOK_URL is set, and renews from 30 days before expiry', () => {
    const config = loadConfig({});
    expect(config.WEBHOOK_URL).toBeUndefined();
    expect(config.IDENTITY_RENEWAL_DAYS).toBe(30);
    expect(() => loadConfig({ WEBHOOK_URL: 'http://localhost:9000/hooks' })).toThrow(/WEBHOOK_SECRET: required/);
  });

  it('reads AUTH_MAX_TOKEN_AGE_SECONDS, a day by default', () => {
    expect(loadConfig({}).AUTH_MAX_TOKEN_AGE_SECONDS).toBe(86_400);
    expect(loadConfig({ AUTH_MAX_TOKEN_AGE_SECONDS: '3600' }).AUTH_MAX_TOKEN_AGE_SECONDS).toBe(3600);
  });
});
