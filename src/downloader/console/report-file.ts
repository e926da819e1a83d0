/** `--report FILE.json`: every item's outcome and, for failures, the reason; written atomically. */
import { rename, writeFile } from 'node:fs/promises';
import type { DownloadSummary, ItemResult } from '../types.js';

export interface RunReport {
  readonly command: string;
  readonly summary: DownloadSummary;
  readonly items: readonly ItemResult[];
  /** Partial files kept for a rerun to resume (failed and interrupted items), with their bytes. */
  readonly partFiles?: readonly { readonly name: string; readonly bytes: number; readonly url: string }[];
  /** Pages of a crawl that failed, with why. */
  readonly pages?: readonly unknown[];
}

export async function writeReport(path: string, report: RunReport): Promise<void> {
  const sorted = [...report.items].sort((a, b) => a.index - b.index);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ ...report, items: sorted }, null, 2)}\n`);
  await rename(temporary, path);
}
