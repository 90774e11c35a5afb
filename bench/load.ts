import autocannon from 'autocannon';

/** One kind of request against one server: a fresh body (and headers) per request, and what a correct answer contains. */
export interface Target {
  name: string;
  url: string;
  path?: string;
  request: () => { body: string; headers?: Record<string, string> };
  /** A response is counted as an error unless this holds (GraphQL errors come with status 200). */
  correct: (body: string) => boolean;
}

export interface Run {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  errors: number;
}

export async function load(target: Target, seconds: number, connections: number): Promise<Run> {
  const result = await autocannon({
    url: `${target.url}${target.path ?? '/graphql'}`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request: any) => {
          const { body, headers } = target.request();
          return { ...request, body, headers: { ...request.headers, ...headers } };
        },
      },
    ],
    verifyBody: target.correct,
  });
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
  };
}

/** Several targets loaded at the same time (replicas): throughput adds up, latency is the worst. */
export async function loadTogether(targets: Target[], seconds: number, connections: number): Promise<Run> {
  const runs = await Promise.all(targets.map((t) => load(t, seconds, Math.max(1, Math.floor(connections / targets.length)))));
  const sum = (f: (r: Run) => number) => runs.reduce((a, r) => a + f(r), 0);
  const worst = (f: (r: Run) => number) => Math.max(...runs.map(f));
  return { rps: sum((r) => r.rps), p50: worst((r) => r.p50), p90: worst((r) => r.p90), p99: worst((r) => r.p99), max: worst((r) => r.max), requests: sum((r) => r.requests), errors: sum((r) => r.errors) };
}

export const median = (values: number[]) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface Arm {
  name: string;
  /** One run of this arm (a single target, or several together). */
  run: (seconds: number) => Promise<Run>;
}

export interface Comparison {
  arms: string[];
  /** runs[arm][round] */
  runs: Record<string, Run[]>;
  medians: Record<string, Run>;
  /** Per-round ratio arm/base throughput, then its median: drift cancels inside a round. */
  ratio(arm: string, base: string, f?: (r: Run) => number): number;
}

/** Warms every arm up, then runs them A B C A B C … for `rounds`; medians over rounds. */
export async function interleave(arms: Arm[], rounds: number, seconds: number, warmupSeconds: number, log: (line: string) => void): Promise<Comparison> {
  if (warmupSeconds > 0) for (const arm of arms) await arm.run(warmupSeconds);
  const runs: Record<string, Run[]> = Object.fromEntries(arms.map((a) => [a.name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const arm of arms) {
      const r = await arm.run(seconds);
      runs[arm.name]!.push(r);
      log(`  round ${round} ${arm.name.padEnd(28)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  errors ${r.errors}`);
    }
  }
  const medianRun = (list: Run[]): Run => ({
    rps: median(list.map((r) => r.rps)),
    p50: median(list.map((r) => r.p50)),
    p90: median(list.map((r) => r.p90)),
    p99: median(list.map((r) => r.p99)),
    max: Math.max(...list.map((r) => r.max)),
    requests: list.reduce((a, r) => a + r.requests, 0),
    errors: list.reduce((a, r) => a + r.errors, 0),
  });
  return {
    arms: arms.map((a) => a.name),
    runs,
    medians: Object.fromEntries(arms.map((a) => [a.name, medianRun(runs[a.name]!)])),
    ratio: (arm, base, f = (r) => r.rps) => median(runs[arm]!.map((r, i) => f(r) / f(runs[base]![i]!))),
  };
}
