/**
 * From raw runs to the figures a table shows: the median of each contender's runs, its spread,
 * its ratio against the peer it is compared with (measured in the same run of the suite), and
 * whether it meets the target.
 */
import type { ScenarioRuns } from './run-scenario.js';
import { median, spread } from './stats.js';
import type { RunRecord, Target } from './types.js';

export interface SummaryRow {
  readonly id: string;
  readonly label: string;
  /** Median of the successful runs' figures; undefined when none succeeded. */
  readonly median?: number;
  readonly min?: number;
  readonly max?: number;
  readonly okRuns: number;
  readonly totalRuns: number;
  /** First error seen, as one line. */
  readonly error?: string;
  readonly peerLabel?: string;
  /** median / peer's median. */
  readonly ratio?: number;
  readonly medianPeakRssMiB?: number;
  readonly medianMs?: number;
  readonly target?: Target;
  readonly ratioTarget?: Target;
  /** 'meets' | 'misses by …' | undefined (no target or no figure). */
  readonly verdict?: string;
  readonly notes: readonly string[];
}

export function summarize(result: ScenarioRuns): SummaryRow[] {
  const { scenario } = result;
  const figure = (run: RunRecord): number | undefined =>
    scenario.metric === 'peak-rss' ? run.peakRssMiB : run.value;
  const medians = new Map<string, number>();
  for (const { contender, runs } of result.contenders) {
    const values = runs
      .filter((r) => r.error === undefined)
      .map(figure)
      .filter(isNumber);
    if (values.length > 0) medians.set(contender.id, median(values));
  }
  const labels = new Map(result.contenders.map(({ contender }) => [contender.id, contender.label]));
  const better = (a: number, b: number) => (scenario.higherIsBetter ? a > b : a < b);

  return result.contenders.map(({ contender, runs, budgetCut }) => {
    const ok = runs.filter((r) => r.error === undefined);
    const values = ok.map(figure).filter(isNumber);
    const own = medians.get(contender.id);
    const notes = unique(runs.map((r) => r.note).filter((n): n is string => n !== undefined));
    const failed = runs.length - ok.length;
    if (failed > 0 && ok.length > 0) notes.push(`${failed} of ${runs.length} runs failed`);
    if (budgetCut) notes.push(`${runs.length} runs (time budget)`);

    let peerLabel: string | undefined;
    let ratio: number | undefined;
    const peers = contender.compareTo ?? scenario.baseline;
    const peerIds = typeof peers === 'string' ? [peers] : [...peers];
    let bestPeer: string | undefined;
    for (const id of peerIds) {
      const m = medians.get(id);
      if (m === undefined) continue;
      if (bestPeer === undefined || better(m, medians.get(bestPeer) as number)) bestPeer = id;
    }
    if (bestPeer !== undefined) {
      peerLabel = peerIds.length > 1 ? `best of: ${labels.get(bestPeer)}` : labels.get(bestPeer);
      if (own !== undefined) ratio = own / (medians.get(bestPeer) as number);
    } else {
      peerLabel = `${peerIds.map((id) => labels.get(id) ?? id).join(' / ')} (no figure)`;
    }

    const verdicts: string[] = [];
    if (contender.target !== undefined && own !== undefined) verdicts.push(judge(own, contender.target));
    if (contender.ratioTarget !== undefined && ratio !== undefined)
      verdicts.push(judge(ratio, contender.ratioTarget));
    const rss = ok.map((r) => r.peakRssMiB).filter(isNumber);
    const ms = ok.map((r) => r.ms).filter(isNumber);
    const range = values.length > 0 ? spread(values) : undefined;
    return {
      id: contender.id,
      label: contender.label,
      ...(own !== undefined ? { median: own } : {}),
      ...(range !== undefined ? range : {}),
      okRuns: ok.length,
      totalRuns: runs.length,
      ...(runs.find((r) => r.error !== undefined)?.error !== undefined
        ? { error: runs.find((r) => r.error !== undefined)?.error as string }
        : {}),
      ...(peerLabel !== undefined ? { peerLabel } : {}),
      ...(ratio !== undefined ? { ratio } : {}),
      ...(rss.length > 0 ? { medianPeakRssMiB: median(rss) } : {}),
      ...(ms.length > 0 ? { medianMs: median(ms) } : {}),
      ...(contender.target !== undefined ? { target: contender.target } : {}),
      ...(contender.ratioTarget !== undefined ? { ratioTarget: contender.ratioTarget } : {}),
      ...(verdicts.length > 0 ? { verdict: verdicts.join('; ') } : {}),
      notes,
    };
  });
}

/** 'meets' or 'misses by N%' (how far the figure is from the bound, relative to the bound). */
export function judge(value: number, target: Target): string {
  if (target.min !== undefined && value < target.min) {
    return `misses by ${percent((target.min - value) / target.min)}`;
  }
  if (target.max !== undefined && value > target.max) {
    return `misses by ${percent((value - target.max) / target.max)}`;
  }
  return 'meets';
}

function percent(fraction: number): string {
  const p = fraction * 100;
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)}%`;
}

function isNumber(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
