/** One scenario's summary as an aligned plain-text table, with its title and method above it. */

import type { SummaryRow } from './summarize.js';
import { type Column, formatNumber, formatTable } from './text-table.js';
import type { Scenario, Target } from './types.js';

export function renderScenario(
  scenario: Scenario<unknown>,
  params: unknown,
  rows: readonly SummaryRow[],
): string {
  const direction = scenario.higherIsBetter ? 'higher is better' : 'lower is better';
  const columns: Column[] = [
    { header: 'contender' },
    { header: `median ${scenario.unit}`, align: 'right' },
    { header: 'min..max', align: 'right' },
    { header: 'ratio', align: 'right' },
    { header: 'vs peer' },
    { header: 'peak RSS MiB', align: 'right' },
    { header: 'target' },
    { header: 'verdict' },
  ];
  const body = rows.map((row) => {
    if (row.median === undefined) {
      return [row.label, 'error', '', '', '', '', '', `error: ${row.error ?? 'no figure'}`];
    }
    const target = [
      row.target ? formatTarget(row.target, scenario.unit) : '',
      row.ratioTarget ? `ratio ${formatTarget(row.ratioTarget, 'x')}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const verdict = [row.verdict ?? '', ...row.notes].filter(Boolean).join('; ');
    return [
      row.label,
      formatNumber(row.median),
      row.totalRuns > 1 && row.min !== undefined && row.max !== undefined
        ? `${formatNumber(row.min)}..${formatNumber(row.max)}`
        : '',
      row.ratio !== undefined ? `${row.ratio.toFixed(2)}x` : '',
      row.peerLabel ?? '',
      row.medianPeakRssMiB !== undefined ? row.medianPeakRssMiB.toFixed(0) : '',
      target,
      verdict,
    ];
  });
  return [
    `## ${scenario.title}`,
    `${scenario.method}`,
    `Figure: ${scenario.unit}, ${direction}; ratio = this row's median / its peer's median, same run.`,
    `Parameters: ${JSON.stringify(params)}`,
    '',
    formatTable(columns, body),
  ].join('\n');
}

export function formatTarget(target: Target, unit: string): string {
  const parts: string[] = [];
  if (target.min !== undefined) parts.push(`>= ${formatNumber(target.min)} ${unit}`);
  if (target.max !== undefined) parts.push(`<= ${formatNumber(target.max)} ${unit}`);
  return parts.join(' and ');
}
