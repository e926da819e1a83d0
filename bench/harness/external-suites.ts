/**
 * Other benchmark suites living beside this one (bench/download, bench/redis) are
 * discovered at run time: if their compiled index.js is there, it is imported and whatever it
 * exports is run. Two shapes are understood:
 *  - a Scenario (harness/types.ts: `contenders`, `params`…, module exporting `scenario` or a
 *    list of them): run exactly like the core suite, in fresh child processes;
 *  - async functions (exported one by one, as a list or as a record): each is called with
 *    `{ runs, quick }` and may return rows (objects); rows are printed as a table of their
 *    name and numeric fields.
 * A suite that is absent is skipped quietly; one that fails to load or run prints an error line.
 */
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isScenario } from './find-scenario.js';
import { oneLine } from './one-line.js';
import { runScenario } from './run-scenario.js';
import { renderScenario } from './scenario-table.js';
import { type SummaryRow, summarize } from './summarize.js';
import { type Column, formatNumber, formatTable } from './text-table.js';
import type { Scenario } from './types.js';

const SUITES = ['download', 'redis'] as const;

export interface ExternalSuiteOptions {
  readonly runs: number;
  readonly quick: boolean;
  readonly only: readonly string[];
}

export interface ExternalSuiteResult {
  readonly suite: string;
  readonly entries: {
    readonly name: string;
    readonly rows?: readonly unknown[] | SummaryRow[];
    readonly error?: string;
  }[];
  readonly error?: string;
}

interface Output {
  print(line: string): void;
  progress(line: string): void;
}

type SuiteFunction = (options: { runs: number; quick: boolean }) => unknown;

export async function runExternalSuites(
  options: ExternalSuiteOptions,
  out: Output,
): Promise<ExternalSuiteResult[]> {
  const results: ExternalSuiteResult[] = [];
  for (const suite of SUITES) {
    const url = new URL(`../${suite}/index.js`, import.meta.url);
    try {
      await access(fileURLToPath(url));
    } catch {
      continue;
    }
    let module: Record<string, unknown>;
    try {
      module = (await import(url.href)) as Record<string, unknown>;
    } catch (error) {
      out.print(`\n## ${suite} suite\nerror: could not load ${suite}/index.js: ${oneLine(error)}`);
      results.push({ suite, entries: [], error: oneLine(error) });
      continue;
    }
    const entries: ExternalSuiteResult['entries'] = [];
    const runnable = collect(module);
    for (const [name, item] of runnable) {
      if (options.only.length > 0 && !options.only.some((s) => `${suite} ${name}`.toLowerCase().includes(s)))
        continue;
      out.progress(`${suite} / ${name}`);
      try {
        if (isScenario(item)) {
          const moduleUrl = typeof item.moduleUrl === 'string' ? item.moduleUrl : url.href;
          const runs = await runScenario(item, moduleUrl, {
            runs: options.runs,
            quick: options.quick,
            onRun: (label, run, total) => out.progress(`  ${item.id} / ${label}: run ${run}/${total}`),
          });
          const rows = summarize(runs);
          out.print('');
          out.print(renderScenario(item, runs.params, rows));
          entries.push({ name, rows });
        } else {
          const returned = await (item as SuiteFunction)({ runs: options.runs, quick: options.quick });
          const rows = toRows(returned);
          out.print('');
          out.print(`## ${suite}: ${name}`);
          out.print('');
          out.print(rows.length > 0 ? renderGenericRows(rows) : `(no rows returned: ${describe(returned)})`);
          entries.push({ name, rows });
        }
      } catch (error) {
        out.print(`\n## ${suite}: ${name}\nerror: ${oneLine(error)}`);
        entries.push({ name, error: oneLine(error) });
      }
    }
    if (runnable.length === 0) out.print(`\n## ${suite} suite\n(index.js exports nothing runnable)`);
    results.push({ suite, entries });
  }
  return results;
}

/** Runnable things a suite module exports, with a name each. */
function collect(module: Record<string, unknown>): [string, Scenario<unknown> | SuiteFunction][] {
  const found: [string, Scenario<unknown> | SuiteFunction][] = [];
  const visit = (name: string, value: unknown, depth: number): void => {
    if (isScenario(value)) {
      found.push([value.id, value]);
    } else if (typeof value === 'function') {
      if (!/^class\s/.test(Function.prototype.toString.call(value)))
        found.push([value.name || name, value as SuiteFunction]);
    } else if (depth === 0 && Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(`${name}[${i}]`, v, 1);
    } else if (depth === 0 && value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) visit(key, v, 1);
    }
  };
  for (const [name, value] of Object.entries(module)) visit(name === 'default' ? 'default' : name, value, 0);
  return found;
}

function toRows(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter(isRecord);
  if (isRecord(value)) {
    if (Array.isArray(value.rows)) return value.rows.filter(isRecord);
    return [value];
  }
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Name (the first string field) plus every numeric field, as columns. */
function renderGenericRows(rows: Record<string, unknown>[]): string {
  const nameKey =
    ['name', 'label', 'contender', 'scenario', 'id'].find((k) =>
      rows.some((r) => typeof r[k] === 'string'),
    ) ?? Object.keys(rows[0] ?? {}).find((k) => typeof rows[0]?.[k] === 'string');
  const numeric: string[] = [];
  const text: string[] = [];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (key === nameKey) continue;
      if (typeof value === 'number' && !numeric.includes(key)) numeric.push(key);
      else if (typeof value === 'string' && !text.includes(key) && !numeric.includes(key)) text.push(key);
    }
  }
  const columns: Column[] = [
    { header: nameKey ?? 'row' },
    ...numeric.map((key) => ({ header: key, align: 'right' as const })),
    ...text.map((key) => ({ header: key })),
  ];
  const body = rows.map((row, i) => [
    nameKey !== undefined ? String(row[nameKey] ?? '') : String(i + 1),
    ...numeric.map((key) => (typeof row[key] === 'number' ? formatNumber(row[key] as number) : '')),
    ...text.map((key) => (typeof row[key] === 'string' ? (row[key] as string) : '')),
  ]);
  return formatTable(columns, body);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return oneLine(JSON.stringify(value) ?? String(value));
  } catch {
    return typeof value;
  }
}
