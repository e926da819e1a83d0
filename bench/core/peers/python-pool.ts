/**
 * Python's multiprocessing.Pool as a peer, run with python3 in its own process (a child of
 * the contender, so the runner's peak RSS counts it). The script starts and warms the pool,
 * times one measured step and prints `{"ms": …, "check": …}`; the caller checks the result.
 */
import { spawn } from 'node:child_process';
import { TaskmillError } from 'taskmill';

/** The Python peer could not run (python3 missing, or it failed): its row shows this line. */
export class PythonPeerError extends TaskmillError {
  constructor(message: string) {
    super('ERR_TASKMILL_BENCH_PEER', `${message} (the Python peer needs python3 on PATH)`);
  }
}

/** What the Python side measures: `map` (Pool.map, default chunksize), `apply` (one apply_async per task), `fib`. */
export type PythonStep = 'map' | 'apply' | 'fib';

const SCRIPT = `
import json, sys, time
from multiprocessing import Pool

def inc(n):
    return n + 1

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

if __name__ == "__main__":
    step, tasks, workers, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with Pool(workers) as pool:
        pool.map(inc, range(workers * 2))
        start = time.perf_counter()
        if step == "map":
            check = sum(pool.map(inc, range(tasks)))
        elif step == "apply":
            pending = [pool.apply_async(inc, (i,)) for i in range(tasks)]
            check = sum(p.get() for p in pending)
        else:
            check = sum(pool.map(fib, [n] * tasks, chunksize=1))
        ms = (time.perf_counter() - start) * 1000
    print(json.dumps({"ms": ms, "check": check}))
`;

export interface PythonRun {
  readonly ms: number;
  readonly check: number;
}

/** Runs one measured step in a fresh python3; rejects with the reason if python3 is missing or fails. */
export function runPythonPool(step: PythonStep, tasks: number, workers: number, n = 0): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', SCRIPT, step, String(tasks), String(workers), String(n)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', (error) => reject(new PythonPeerError(`python3 could not start: ${error.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new PythonPeerError(`python3 exited with ${code}: ${err.trim().split('\n').pop() ?? ''}`));
        return;
      }
      try {
        resolve(JSON.parse(out) as PythonRun);
      } catch {
        reject(new PythonPeerError(`python3 printed no result: ${out.slice(0, 200)}`));
      }
    });
  });
}
