import { Gauge, type Registry } from 'prom-client';

/** Read at scrape time from the database, so every replica reports the one shared queue. */
export function watchReviewQueue(registry: Registry, read: () => Promise<{ open: number; oldestAgeSeconds: number }>) {
  let last: Promise<{ open: number; oldestAgeSeconds: number }> | undefined;
  // One read per scrape for both gauges.
  const current = () => (last ??= read().finally(() => setTimeout(() => (last = undefined), 0)));
  new Gauge({
    name: 'realname_review_queue_length',
    help: 'Manual review cases waiting for an operator',
    registers: [registry],
    async collect() {
      this.set((await current()).open);
    },
  });
  new Gauge({
    name: 'realname_review_oldest_case_age_seconds',
    help: 'Age of the oldest open manual review case (0 when none)',
    registers: [registry],
    async collect() {
      this.set((await current()).oldestAgeSeconds);
    },
  });
}
