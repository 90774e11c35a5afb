import type { Express } from 'express';

export interface ReadinessProbes {
  database(): Promise<void>;
  /** Redis (both the command and the subscriber connection), or nothing for the in-process bus. */
  pubsub(): Promise<void>;
  pendingMigrations(): Promise<number>;
}

type CheckResult = 'ok' | 'failed' | 'pending';
export interface ReadinessReport {
  ready: boolean;
  checks: { database: CheckResult; pubsub: CheckResult; migrations: CheckResult; shutdown: 'no' | 'begun' };
}

const PROBE_TIMEOUT_MS = 2_000;

/**
 * Liveness and readiness are different questions: /healthz says the process answers (restart it
 * when not); /readyz says whether to send it traffic — its database, Redis and schema are usable
 * and it is not shutting down. It turns 503 as shutdown begins, so balancers drain it first.
 */
export function createReadiness(probes: ReadinessProbes) {
  let shuttingDown = false;
  const run = async (probe: () => Promise<unknown>): Promise<'ok' | 'failed'> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('probe timed out')), PROBE_TIMEOUT_MS)));
    try {
      await Promise.race([probe(), timeout]);
      return 'ok';
    } catch {
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    beginShutdown() {
      shuttingDown = true;
    },
    get shuttingDown() {
      return shuttingDown;
    },
    async check(): Promise<ReadinessReport> {
      let pending = 0;
      const [database, pubsub, migrations] = await Promise.all([
        run(probes.database),
        run(probes.pubsub),
        run(async () => {
          pending = await probes.pendingMigrations();
        }),
      ]);
      const checks = { database, pubsub, migrations: migrations === 'ok' && pending > 0 ? 'pending' : migrations, shutdown: shuttingDown ? 'begun' : 'no' } as const;
      return { ready: !shuttingDown && database === 'ok' && pubsub === 'ok' && checks.migrations === 'ok', checks };
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;

export function healthRoutes(app: Express, readiness: Readiness) {
  app.get('/healthz', (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await readiness.check();
    res.set('cache-control', 'no-store').status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'unavailable', checks: report.checks });
  });
}
