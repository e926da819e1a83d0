/**
 * `npm run bench`: taskmill against its peers (Piscina, tinypool, workerpool, p-queue,
 * p-limit, the inline loop). Every run of every contender happens in a fresh child process;
 * tables show medians of several runs and ratios against a peer measured in the same run.
 * Then any other suites present (download, redis) run and print their rows.
 */
import { writeFile } from 'node:fs/promises';
import { CORE_SCENARIO_MODULES } from './core/scenarios/index.js';
import { parseBenchOptions, USAGE } from './harness/cli-options.js';
import { BenchUsageError } from './harness/errors.js';
import { type ExternalSuiteResult, runExternalSuites } from './harness/external-suites.js';
import { scenariosIn } from './harness/find-scenario.js';
import { describeMachine } from './harness/machine.js';
import { toMarkdown } from './harness/markdown-report.js';
import { oneLine } from './harness/one-line.js';
import { runScenario, type ScenarioRuns } from './harness/run-scenario.js';
import { renderScenario } from './harness/scenario-table.js';
import { type SummaryRow, summarize } from './harness/summarize.js';
import type { Scenario } from './harness/types.js';

async function main(): Promise<number> {
  let options: ReturnType<typeof parseBenchOptions>;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    const ids: string[] = [];
    for (const moduleUrl of CORE_SCENARIO_MODULES)
      for (const s of await loadScenarios(moduleUrl)) ids.push(s.id);
    process.stdout.write(
      `${USAGE}\n\nscenarios: ${ids.join(', ')} (then the download and redis suites, if built)\n`,
    );
    return 0;
  }

  const machine = describeMachine();
  const command = ['node', ...process.argv.slice(1).map(shortPath)].join(' ');
  print(`# taskmill benchmarks`);
  print('');
  print(`date:    ${machine.date}`);
  print(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}`);
  print(`node:    ${machine.node}`);
  print(`load:    ${machine.loadAverage.join(' ')} (1/5/15 min, at start)`);
  print(
    `command: ${process.env.npm_lifecycle_event === 'bench' ? `npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd() : command}`,
  );
  print(
    `runs:    ${options.runs} per contender${options.quick ? ' (--quick: smaller sizes, rough figures)' : ''}, each in a fresh child process; figures are medians`,
  );

  const started = performance.now();
  const results: { runs: ScenarioRuns; rows: SummaryRow[] }[] = [];
  for (const moduleUrl of CORE_SCENARIO_MODULES) {
    for (const scenario of await loadScenarios(moduleUrl)) {
      if (!selected(scenario, options.only)) continue;
      progress(`${scenario.id}: ${scenario.contenders.length} contenders x ${options.runs} runs`);
      const runs = await runScenario(scenario, moduleUrl, {
        runs: options.runs,
        quick: options.quick,
        onRun: (label, run, total) => progress(`  ${scenario.id} / ${label}: run ${run}/${total}`),
      });
      const rows = summarize(runs);
      results.push({ runs, rows });
      print('');
      print(renderScenario(scenario, runs.params, rows));
    }
  }

  const external: ExternalSuiteResult[] = await runExternalSuites(
    { runs: options.runs, quick: options.quick, only: options.only },
    { print, progress },
  );

  const seconds = (performance.now() - started) / 1000;
  print('');
  print(
    `total time: ${seconds.toFixed(0)} s; load at end: ${describeMachine().loadAverage.join(' ')} (1/5/15 min)`,
  );

  if (options.markdown !== undefined) {
    await writeFile(options.markdown, toMarkdown(report));
    progress(`report saved to ${options.markdown}`);
  }
  if (options.json !== undefined) {
    const raw = {
      machine,
      command,
      options,
      totalSeconds: seconds,
      scenarios: results.map(({ runs, rows }) => ({
        id: runs.scenario.id,
        title: runs.scenario.title,
        unit: runs.scenario.unit,
        higherIsBetter: runs.scenario.higherIsBetter,
        metric: runs.scenario.metric ?? 'sample',
        params: runs.params,
        summary: rows,
        runs: runs.contenders.map(({ contender, runs: records }) => ({
          id: contender.id,
          label: contender.label,
          runs: records,
        })),
      })),
      external,
    };
    await writeFile(options.json, `${JSON.stringify(raw, null, 2)}\n`);
    progress(`raw results saved to ${options.json}`);
  }
  return 0;
}

async function loadScenarios(moduleUrl: string): Promise<Scenario<unknown>[]> {
  try {
    return scenariosIn((await import(moduleUrl)) as Record<string, unknown>);
  } catch (error) {
    print(`\n## ${shortPath(moduleUrl)}\nerror: could not load the scenario: ${oneLine(error)}`);
    return [];
  }
}

function selected(scenario: Scenario<unknown>, only: readonly string[]): boolean {
  if (only.length === 0) return true;
  const id = scenario.id.toLowerCase();
  return only.some((s) => id.includes(s));
}

/** Everything printed to stdout, for --markdown. */
const report: string[] = [];

function print(line: string): void {
  report.push(line);
  process.stdout.write(`${line}\n`);
}

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function shortPath(path: string): string {
  const cwd = `${process.cwd()}/`;
  return path.replace(`file://${cwd}`, '').replace(cwd, '');
}

process.exitCode = await main();
