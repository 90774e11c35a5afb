import type { Comparison, Run } from './load.js';
import type { ProfileSummary } from './profile.js';

export interface TargetCheck {
  scenario: string;
  target: string;
  measured: string;
  met: boolean;
}

export const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '–');
export const rps = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)}` : '–');
export const ratio = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Collects sections as the scenarios finish, then renders one markdown file. */
export class Report {
  readonly sections: { title: string; body: string[] }[] = [];
  readonly targets: TargetCheck[] = [];

  section(title: string): string[] {
    const body: string[] = [];
    this.sections.push({ title, body });
    return body;
  }

  check(scenario: string, target: string, measured: string, met: boolean) {
    this.targets.push({ scenario, target, measured, met });
  }

  render(head: string[]): string {
    const verdicts = table(
      ['scenario', 'target', 'measured (median)', 'met'],
      [...this.targets].sort((a, b) => a.scenario.localeCompare(b.scenario)).map((t) => [t.scenario, t.target, t.measured, t.met ? 'yes' : '**no**']),
    );
    return [...head, '', '## Targets', '', verdicts, '', ...this.sections.flatMap((s) => [`## ${s.title}`, '', ...s.body, ''])].join('\n');
  }
}

/** Medians of every arm, and each run, as markdown. */
export function comparisonTables(c: Comparison, base?: string): string[] {
  const medians = table(
    ['arm', 'req/s', 'p50', 'p90', 'p99', 'max', `ratio to ${base ?? '–'}`, 'requests', 'errors'],
    c.arms.map((arm) => {
      const m = c.medians[arm]!;
      return [arm, rps(m.rps), ms(m.p50), ms(m.p90), ms(m.p99), ms(m.max), base ? ratio(c.ratio(arm, base)) : '–', m.requests, m.errors];
    }),
  );
  const rounds = c.runs[c.arms[0]!]!.length;
  const each = table(
    ['round', ...c.arms],
    Array.from({ length: rounds }, (_, i) => [i + 1, ...c.arms.map((arm) => runCell(c.runs[arm]![i]!))]),
  );
  return ['Medians over rounds (ratios: median of per-round ratios):', '', medians, '', 'Every run (req/s · p99):', '', each];
}

const runCell = (r: Run) => `${rps(r.rps)} · ${ms(r.p99)}${r.errors ? ` · ${r.errors} err` : ''}`;

export function profileTables(title: string, p: ProfileSummary): string[] {
  const pct = (s: number) => `${(s * 100).toFixed(1)} %`;
  return [
    `${title} — ${(p.totalMs / 1000).toFixed(1)} s sampled. Self time by place:`,
    '',
    table(['place', 'self', 'share'], p.places.map((x) => [x.name, ms(x.ms), pct(x.share)])),
    '',
    'Top functions by self time:',
    '',
    table(['function', 'self', 'share'], p.functions.map((x) => [`\`${x.name}\``, ms(x.ms), pct(x.share)])),
  ];
}
