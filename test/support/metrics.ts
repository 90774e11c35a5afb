/** One scrape of `/metrics`, read as Prometheus' text format. */
export interface Scrape {
  text: string;
  /** The sample's value; 0 when the series is absent (a counter not yet moved). */
  value(name: string, labels?: Record<string, string>): number;
}

export async function scrape(app: { url: string }, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${app.url}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
    if (match) samples.set(`${match[1]}${canonical(match[2] ?? '')}`, Number(match[3]));
  }
  return {
    text,
    value: (name, labels = {}) => samples.get(`${name}${canonical(labels)}`) ?? 0,
  };
}

function canonical(labels: string | Record<string, string>): string {
  const pairs =
    typeof labels === 'string'
      ? [...labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!] as const)
      : Object.entries(labels);
  return pairs.length ? `{${pairs.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
}
