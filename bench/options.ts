/**
 * Every knob of the harness: `BENCH_<NAME>` in the environment, or the same name as a flag
 * (`--quick`, `--rounds=5`, `--only=1,3`). `BENCH_KEEP=1` keeps the seeded databases after the run.
 */
export interface BenchOptions {
  quick: boolean;
  /** A B A B … rounds per comparison; medians are over these. */
  rounds: number;
  /** Seconds of load per run, and of warm-up before each comparison. */
  seconds: number;
  warmupSeconds: number;
  connections: number;
  /** Verification records per growth step (the first also serves scenarios 1, 3, 4 and 5). */
  sizes: number[];
  subscriptions: number;
  completions: number;
  /** Subscriptions per WebSocket in the multiplexed fan-out measurement (1 skips it). */
  multiplex: number;
  /** Callbacks per second while completing verifications under the idle subscriptions. */
  callbackRate: number;
  /** Given (BENCH_POSTGRES_URL): that server. Not given: the bench's own cluster (bench/cluster.ts), falling back to the machine's default. */
  postgresUrl: string;
  ownCluster: boolean;
  clusterPort: number;
  /** The own cluster's `shared_buffers`: the working set of every size (1 M records ≈ 1 GB with indexes) fits. */
  sharedBuffers: string;
  redisUrl: string;
  /** Scenario 3 writes heap snapshots of the server before and while holding its subscriptions to bench/.work (BENCH_HEAP_SNAPSHOT=1). */
  heapSnapshot: boolean;
  /** Which scenarios to run: 1–5 and `embedded`. */
  only: Set<string>;
  output: string;
}

export function readOptions(argv = process.argv.slice(2), env = process.env): BenchOptions {
  const flags = new Map(
    argv.filter((a) => a.startsWith('--')).map((a) => {
      const [key, value] = a.slice(2).split('=');
      return [key!.toUpperCase().replaceAll('-', '_'), value ?? '1'] as const;
    }),
  );
  const get = (name: string) => flags.get(name) ?? env[`BENCH_${name}`];
  const num = (name: string, fallback: number) => {
    const raw = get(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`BENCH_${name} must be a non-negative number`);
    return value;
  };
  const quick = get('QUICK') === '1' || get('QUICK') === 'true';
  const sizes = (get('SIZES') ?? (quick ? '2000,20000,100000' : '10000,100000,1000000')).split(',').map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 100)) throw new Error('BENCH_SIZES: integers ≥ 100, comma-separated');
  return {
    quick,
    rounds: num('ROUNDS', quick ? 2 : 3),
    seconds: num('SECONDS', quick ? 3 : 8),
    warmupSeconds: num('WARMUP_SECONDS', quick ? 1 : 3),
    connections: num('CONNECTIONS', 32),
    sizes,
    subscriptions: num('SUBSCRIPTIONS', quick ? 1000 : 10_000),
    completions: num('COMPLETIONS', quick ? 100 : 1000),
    multiplex: num('MULTIPLEX', 100),
    callbackRate: num('CALLBACK_RATE', 25),
    postgresUrl: get('POSTGRES_URL') ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    ownCluster: get('POSTGRES_URL') === undefined && get('OWN_CLUSTER') !== '0',
    clusterPort: num('CLUSTER_PORT', 55_432),
    sharedBuffers: get('SHARED_BUFFERS') ?? '2GB',
    redisUrl: get('REDIS_URL') ?? 'redis://127.0.0.1:6379',
    heapSnapshot: get('HEAP_SNAPSHOT') === '1',
    only: new Set((get('ONLY') ?? '1,2,3,4,5,embedded').split(',').map((s) => s.trim())),
    output: get('OUTPUT') ?? 'bench/results.md',
  };
}
