/**
 * Runs one contender once in a fresh child process and watches it: its report over IPC, the
 * peak RSS of its whole process tree, a time limit, and whether it exits by itself afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isChildMessage } from './child-protocol.js';
import { sampleTreeMemory } from './process-tree-memory.js';
import type { RunRecord } from './types.js';

const ENTRY = fileURLToPath(new URL('./contender-entry.js', import.meta.url));
/** How long a child may linger after reporting before it is ended (and the row says so). */
const EXIT_GRACE_MS = 3_000;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export interface ChildRunRequest {
  readonly moduleUrl: string;
  readonly scenarioId: string;
  readonly contenderId: string;
  readonly params: unknown;
  readonly timeoutMs: number;
}

export function runInChild(request: ChildRunRequest): Promise<RunRecord> {
  installExitHook();
  const started = performance.now();
  return new Promise<RunRecord>((resolve) => {
    const child = spawn(
      process.execPath,
      [ENTRY, request.moduleUrl, request.scenarioId, request.contenderId, JSON.stringify(request.params)],
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true },
    );
    live.add(child);
    const memory = child.pid === undefined ? undefined : sampleTreeMemory(child.pid);
    let stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2_000);
    });
    let reported: RunRecord | undefined;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const finish = (record: RunRecord) => {
      if (settled) return;
      settled = true;
      clearTimeout(limitTimer);
      clearTimeout(graceTimer);
      resolve({ ...record, wallMs: performance.now() - started });
    };
    const limitTimer = setTimeout(() => {
      memory?.stop();
      killTree(child);
      finish(
        reported ?? { error: `timed out after ${Math.round(request.timeoutMs / 1000)} s`, ...peak(memory) },
      );
    }, request.timeoutMs);

    child.on('message', (message: unknown) => {
      if (!isChildMessage(message) || reported !== undefined) return;
      memory?.stop();
      reported =
        message.type === 'result'
          ? { ...message.sample, ...peak(memory) }
          : { error: message.message, ...peak(memory) };
      graceTimer = setTimeout(() => {
        killTree(child);
        const note = 'process did not exit by itself after the run (ended by the runner)';
        finish({ ...(reported as RunRecord), note: joinNotes(reported?.note, note) });
      }, EXIT_GRACE_MS);
    });
    child.on('error', (error) => {
      memory?.stop();
      finish({ error: `could not start: ${error.message}` });
    });
    child.on('exit', (code, signal) => {
      live.delete(child);
      memory?.stop();
      if (reported !== undefined) {
        if (child.pid !== undefined && groupAlive(child.pid)) {
          killTree(child, true);
          const note = 'left processes running after it exited (ended by the runner)';
          return finish({ ...reported, note: joinNotes(reported.note, note) });
        }
        return finish(reported);
      }
      const last = lastLine(stderrTail);
      finish({
        error: `child exited (${signal ?? `code ${code}`}) without a result${last ? `: ${last}` : ''}`,
        ...peak(memory),
      });
    });
  });
}

function peak(memory: { readonly peakMiB: number | undefined } | undefined): { peakRssMiB?: number } {
  return memory?.peakMiB === undefined ? {} : { peakRssMiB: memory.peakMiB };
}

function joinNotes(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b;
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at '));
  const line = lines.find((l) => /Error|error/.test(l)) ?? lines.at(-1) ?? '';
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

/** Ends the child and everything it started (it leads its own process group). */
function killTree(child: ChildProcess, evenIfExited = false): void {
  if (child.pid === undefined) return;
  if (!evenIfExited && (child.exitCode !== null || child.signalCode !== null)) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** If the runner is interrupted, the contenders it started go with it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killTree(child);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of live) killTree(child);
      process.exit(130);
    });
  }
}
