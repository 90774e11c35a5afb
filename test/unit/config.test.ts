import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

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
});
