import { readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.js';
import { outcome, removeTempDirs, tempDir } from './support.js';

const RULES = 'deploy/prometheus/alerts.yml';
const RULE_TESTS = 'deploy/prometheus/alerts.test.yml';

describe('deploy/prometheus/alerts.yml', () => {
  afterAll(removeTempDirs);

  it('passes promtool check rules', async () => {
    const result = await outcome('promtool', ['check', 'rules', RULES]);
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('passes its unit tests (promtool test rules)', async () => {
    const result = await outcome('promtool', ['test', 'rules', RULE_TESTS]);
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('fails its unit tests when a threshold moves', async () => {
    const dir = tempDir('rules');
    writeFileSync(join(dir, 'alerts.yml'), readFileSync(RULES, 'utf8').replace('max(realname_verifications_overdue) > 0', 'max(realname_verifications_overdue) > 5'));
    copyFileSync(RULE_TESTS, join(dir, 'alerts.test.yml'));
    const result = await outcome('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: dir });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('RealnameStuckVerifications');
  });
});

/** Every series an alert or a dashboard panel reads is one the service exposes, or agreed with issue 14. */
describe('metric names in deploy/', () => {
  // Read by alerts and the dashboard; exposed by the provider budget and the audit chain (issue 14).
  const exposed = new Set(['provider_daily_budget_used', 'provider_daily_budget_limit', 'audit_chain_head_seq']);
  beforeAll(async () => {
    for (const metric of await createMetrics().registry.getMetricsAsJSON()) {
      exposed.add(metric.name);
      if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(metric.name + suffix);
    }
  });
  const recorded = [...readFileSync(RULES, 'utf8').matchAll(/record: (\S+)/g)].map((m) => m[1]!);

  const namesIn = (expr: string) =>
    [...expr.replaceAll(/"[^"]*"/g, '""').replaceAll(/\[[^\]]*\]/g, '').matchAll(/[a-zA-Z_:][\w:]*(?=\s*(\{|$|\)|\s|\*|\/|>|<|-|\+|offset))/g)]
      .map((m) => m[0])
      .filter((name) => name.includes('_') || name.includes(':'))
      .filter((name) => !['histogram_quantile', 'label_values', 'clamp_min'].includes(name));

  it('alerts read only exposed metrics', () => {
    const exprs = [...readFileSync(RULES, 'utf8').matchAll(/expr: (\|\n(?:\s{10}.*\n)+|.*)/g)].map((m) => m[1]!);
    const used = new Set(exprs.flatMap(namesIn));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect([...exposed, ...recorded], name).toContain(name);
  });

  it('the dashboard reads only exposed metrics, and shows each of the customer\'s seven', () => {
    const dir = 'deploy/grafana';
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
      const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
      const used = new Set(exprs.flatMap(namesIn));
      for (const name of used) expect([...exposed, ...recorded], name).toContain(name);
      for (const name of ['auth_init_total', 'auth_success_total', 'auth_failure_total', 'auth_processing_time_seconds_bucket', 'active_auth_sessions', 'cache_hit_rate', 'database_connection_pool']) {
        expect([...used], file).toContain(name);
      }
    }
  });
});
