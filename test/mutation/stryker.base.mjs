// @ts-check
/**
 * What both mutation runs share (see README, "Mutation testing"). Incremental: each run's results
 * are kept in reports/mutation/<part>/incremental.json (gitignored), so a re-run tests only the
 * mutants whose code or covering tests changed; `--force` (or deleting that file) runs them all.
 * @param {string} part
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function strykerOptions(part) {
  return {
    testRunner: 'vitest',
    vitest: { configFile: `test/mutation/vitest.${part}.config.ts`, related: true },
    checkers: ['typescript'],
    tsconfigFile: 'tsconfig.json',
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    coverageAnalysis: 'perTest',
    incremental: true,
    incrementalFile: `reports/mutation/${part}/incremental.json`,
    reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
    htmlReporter: { fileName: `reports/mutation/${part}/index.html` },
    jsonReporter: { fileName: `reports/mutation/${part}/mutation.json` },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    thresholds: { high: 90, low: 80, break: 80 },
    // Two cores shared with everything else: one test runner next to the type checker.
    concurrency: 1,
    timeoutMS: 30_000,
    // The services' initial run (every unit and integration test, with coverage) takes over Stryker's
    // default five minutes when the machine's load is high.
    dryRunTimeoutMinutes: 30,
    tempDirName: `.stryker-tmp-${part}`,
    ignorePatterns: ['.stryker-tmp*', 'reports', 'dist', 'data', 'test-artifacts', 'bench/.work', 'coverage'],
    cleanTempDir: 'always',
  };
}
