// @ts-check
/**
 * `node test/mutation/score.mjs`: the mutation score per folder from the last runs' reports
 * (reports/mutation/<part>/mutation.json, or incremental.json when a run was interrupted), counted
 * as Stryker counts it: killed and timed out over everything valid (compile errors and ignored
 * mutants left out); mutants not yet run are listed apart.
 */
import { existsSync, readFileSync } from 'node:fs';

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const folders = new Map();
for (const part of ['rules', 'services']) {
  const file = ['mutation.json', 'incremental.json'].map((name) => `reports/mutation/${part}/${name}`).find(existsSync);
  if (!file) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  for (const [path, { mutants }] of Object.entries(report.files)) {
    const folder = path.split('/').slice(0, path.startsWith('src/providers/') ? 3 : 2).join('/');
    const counts = folders.get(folder) ?? { detected: 0, undetected: 0, pending: 0, source: file };
    for (const { status } of mutants) {
      if (DETECTED.has(status)) counts.detected++;
      else if (UNDETECTED.has(status)) counts.undetected++;
      else if (status === 'Pending') counts.pending++;
    }
    folders.set(folder, counts);
  }
}
for (const [folder, { detected, undetected, pending, source }] of [...folders].sort()) {
  const score = detected + undetected ? ((100 * detected) / (detected + undetected)).toFixed(2) : '—';
  console.log(`${folder.padEnd(24)} ${String(score).padStart(6)} %  ${detected} detected, ${undetected} undetected${pending ? `, ${pending} not run yet` : ''}  (${source})`);
}
