/**
 * Runs every contender of a scenario `runs` times, each run in a fresh child process.
 * Runs are interleaved (run 1 of every contender, then run 2…) so that a change in the
 * machine's load during the scenario falls on every contender alike. A contender whose first
 * run fails is not run again.
 */
import { runInChild } from './child-run.js';
import type { Contender, RunRecord, Scenario } from './types.js';

export interface ContenderRuns {
  readonly contender: Contender<unknown>;
  readonly runs: RunRecord[];
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
