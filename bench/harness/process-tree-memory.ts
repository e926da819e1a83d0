/**
 * Peak resident memory of a process and all its descendants (worker threads live inside their
 * process; child processes are descendants), sampled from /proc on Linux. Elsewhere it reports
 * nothing rather than a wrong figure.
 */
import { readdirSync, readFileSync } from 'node:fs';

const VM_RSS_LINE = /^VmRSS:\s+(\d+)\s+kB/m;

export interface TreeMemorySampler {
  /** Largest sum of VmRSS over the tree seen so far, in MiB; undefined when /proc is not there. */
  readonly peakMiB: number | undefined;
  stop(): void;
}

export function sampleTreeMemory(rootPid: number, intervalMs = 10): TreeMemorySampler {
  let peakKiB: number | undefined;
  const sample = () => {
    const total = treeRssKiB(rootPid);
    if (total !== undefined && (peakKiB === undefined || total > peakKiB)) peakKiB = total;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    get peakMiB() {
      return peakKiB === undefined ? undefined : peakKiB / 1024;
    },
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}

/** Sum of VmRSS (KiB) of `pid` and its descendants; undefined if the process is gone or /proc is absent. */
export function treeRssKiB(pid: number): number | undefined {
  const own = rssKiB(pid);
  if (own === undefined) return undefined;
  let total = own;
  for (const child of childrenOf(pid)) total += treeRssKiB(child) ?? 0;
  return total;
}

function rssKiB(pid: number): number | undefined {
  try {
    const match = VM_RSS_LINE.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Child pids of every thread of `pid` (a child process may be forked from any thread). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const tid of threads) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') for (const part of text.split(/\s+/)) found.push(Number(part));
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return found;
}
