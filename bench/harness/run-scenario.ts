/**
 * Runs every contender of a scenario `runs` times, each run in a fresh child process.
 * Runs are interleaved (run 1 of every contender, then run 2…) so that a change in the
 * machine's load during the scenario falls on every contender alike. A contender whose first
 * run fails is not run again; one that has used up the scenario's time budget stops after its
 * third run.
 */
import { runInChild } from './child-run.js';
import type { Contender, RunRecord, Scenario } from './types.js';

const DEFAULT_BUDGET_MS = 60_000;
/** Runs a contender always gets (when asked for that many), whatever the budget. */
const MIN_RUNS = 3;

export interface ContenderRuns {
  readonly contender: Contender<unknown>;
  readonly runs: RunRecord[];
  /** Set when the time budget cut the runs short. */
  budgetCut?: boolean;
}

export interface ScenarioRuns {
  readonly scenario: Scenario<unknown>;
  readonly moduleUrl: string;
  readonly params: unknown;
  readonly contenders: ContenderRuns[];
}

export interface ScenarioRunOptions {
  readonly runs: number;
  readonly quick: boolean;
  /** Called before each run, for a progress line. */
  readonly onRun?: (label: string, run: number, runs: number) => void;
}

export async function runScenario(
  scenario: Scenario<unknown>,
  moduleUrl: string,
  options: ScenarioRunOptions,
): Promise<ScenarioRuns> {
  const params = scenario.params(options.quick);
  const contenders: ContenderRuns[] = scenario.contenders.map((contender) => ({ contender, runs: [] }));
  for (let run = 1; run <= options.runs; run++) {
    for (const entry of contenders) {
      if (run > 1 && entry.runs[0]?.error !== undefined) continue;
      if (run > MIN_RUNS && spentMs(entry.runs) >= (scenario.budgetMs ?? DEFAULT_BUDGET_MS)) {
        entry.budgetCut = true;
        continue;
      }
      options.onRun?.(entry.contender.label, run, options.runs);
      entry.runs.push(
        await runInChild({
          moduleUrl,
          scenarioId: scenario.id,
          contenderId: entry.contender.id,
          params,
          timeoutMs: scenario.timeoutMs,
        }),
      );
    }
  }
  return { scenario, moduleUrl, params, contenders };
}

function spentMs(runs: readonly RunRecord[]): number {
  let total = 0;
  for (const run of runs) total += run.wallMs ?? 0;
  return total;
}
