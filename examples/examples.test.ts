/**
 * Every example runs as its own process, as a user would run it, and its output is checked.
 * Add an entry per example: its file name and what its output must show.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand } from 'taskmill';

async function runExample(name: string): Promise<string> {
  return (await runExampleOutputs(name)).stdout;
}

async function runExampleOutputs(name: string): Promise<{ stdout: string; stderr: string }> {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const result = await runCommand(process.execPath, [file], { timeout: 60_000 });
  assert.equal(result.exitCode, 0, `${name} failed:\n${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

/** The number after `label` in the output. */
function numberAfter(output: string, label: string): number {
  const match = new RegExp(`${label}\\s+(-?\\d+)`).exec(output);
  assert.ok(match, `no "${label}" line in:\n${output}`);
  return Number(match[1]);
}

describe('examples', { concurrency: 2 }, () => {
  it('letters-queue: two consumers take the 26 letters, each exactly once, and end cleanly', async () => {
    const output = await runExample('letters-queue');
    const got = [...output.matchAll(/^consumer ([12]) got ([a-z])$/gm)];
    assert.deepEqual(
      got.map((m) => m[2]).sort(),
      Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i)),
    );
    assert.match(output, /join\(\) returned: 26 letters handled, each exactly once: true/);
    assert.match(output, /consumer 1 stops/);
    assert.match(output, /consumer 2 stops/);
  });

  for (const name of ['bank-balance-async', 'bank-balance-threads']) {
    it(`${name}: the balance is wrong without a lock and exact with one`, async () => {
      const output = await runExample(name);
      const expected = numberAfter(output, 'expected balance:');
      assert.ok(numberAfter(output, 'without a lock:') < expected);
      assert.equal(numberAfter(output, 'with a (?:Shared)?Lock:'), expected);
      assert.match(output, /\(exact\)/);
    });
  }

  it('subprocess-stdin: a program fed on stdin, its output and exit code; a missing program is a clear error', async () => {
    const output = await runExample('subprocess-stdin');
    assert.match(output, /cherry\nbanana\napple\nExit code: 0\n/);
    assert.match(output, /wc says 3 lines; exit code 0/);
    assert.match(output, /ERR_TASKMILL_COMMAND_NOT_FOUND for "nslookup-that-is-not-installed"/);
  });

  it('process-basics: the task runs in a child process of ours, and we wait for it to end', async () => {
    const output = await runExample('process-basics');
    const parent = numberAfter(output, 'Parent process');
    const child = Number(/Run child process test \((\d+)\)/.exec(output)?.[1]);
    assert.notEqual(child, parent);
    assert.match(output, /child pid differs from ours: true/);
    assert.match(output, /child's parent is this process: true/);
    assert.match(output, /job state after waiting: fulfilled/);
    assert.match(output, new RegExp(`child process ${child} has exited: true\nChild process end.`));
  });

  it('pool-of-four: four tasks run at once on four workers; the fifth starts only after one finished', async () => {
    const output = await runExample('pool-of-four');
    const tasks = [
      ...output.matchAll(
        /^task (\d): start #(\d) on worker (\d+); tasks finished before it started: (\d)$/gm,
      ),
    ].map((m) => ({
      name: Number(m[1]),
      order: Number(m[2]),
      worker: Number(m[3]),
      finishedBefore: Number(m[4]),
    }));
    assert.deepEqual(tasks.map((r) => r.name).sort(), [0, 1, 2, 3, 4]);
    const firstFour = tasks.filter((r) => r.order <= 4);
    assert.equal(new Set(firstFour.map((r) => r.worker)).size, 4);
    assert.ok(firstFour.every((r) => r.finishedBefore === 0));
    const fifth = tasks.find((r) => r.order === 5);
    assert.ok(fifth && fifth.finishedBefore >= 1, output);
    assert.ok(
      firstFour.some((r) => r.worker === fifth.worker),
      'the fifth reuses a freed worker',
    );
    assert.match(output, /all four saw each other running: true/);
  });

  it('pool-methods: submit, apply, map and map with a callback give the right results', async () => {
    const output = await runExample('pool-methods');
    for (const i of [0, 1, 2])
      assert.match(output, new RegExp(`ready, successful: func_return: hello ${i}\n`));
    assert.match(output, /ready, failed: func\(\) needs a message/);
    assert.match(
      output,
      /apply: waits for each result: \["func_return: hello 0","func_return: hello 1","func_return: hello 2"\]/,
    );
    const five = JSON.stringify([1, 2, 3, 4, 5].map((n) => `func_return: ${n}`));
    assert.ok(output.includes(`map: waits for all, in input order: ${five}`));
    const callbacks = [...output.matchAll(/^callback: item (\d) -> func_return: (\d)$/gm)];
    assert.deepEqual(callbacks.map((m) => Number(m[1])).sort(), [0, 1, 2, 3, 4]);
    assert.ok(callbacks.every((m) => Number(m[2]) === Number(m[1]) + 1));
    assert.ok(output.includes(`all results, in input order: ${five}`));
    assert.ok(output.indexOf('returned a promise at once') < output.indexOf('callback: item'));
  });

  it('queue-writer-reader: a child process writes A, B, C; the reader gets them in order and stops cleanly', async () => {
    const output = await runExample('queue-writer-reader');
    assert.deepEqual(
      [...output.matchAll(/^Get ([A-C]) from queue\.$/gm)].map((m) => m[1]),
      ['A', 'B', 'C'],
    );
    assert.deepEqual(
      [...output.matchAll(/^Put ([A-C]) to queue\.\.\.$/gm)].map((m) => m[1]),
      ['A', 'B', 'C'],
    );
    assert.notEqual(numberAfter(output, 'Process to write:'), numberAfter(output, 'Process to read:'));
    assert.match(output, /a child process: true/);
    assert.match(output, /reader stops: the queue is closed and empty\nreader got, in order: A, B, C\n$/);
  });

  it("worker-context: each task reads its own worker's session; one session per worker", async () => {
    const output = await runExample('worker-context');
    const greetings = [...output.matchAll(/^Hello, (\w+) \(worker (\d+), session-(\d+)\)$/gm)];
    assert.equal(greetings.length, 6);
    assert.ok(
      greetings.every((m) => m[2] === m[3]),
      output,
    );
    assert.equal(new Set(greetings.map((m) => m[2])).size, 2);
    assert.match(output, /every task read its own worker's session: true/);
    assert.match(output, /sessions: 2 for 2 workers/);
  });

  it('parallel-progress: correct results, plain progress lines and joblib-like lines on stderr', async () => {
    const { stdout, stderr } = await runExampleOutputs('parallel-progress');
    assert.match(stdout, /24 results, in input order; fib\(24\) = 46368/);
    assert.match(stdout, /all correct: true/);
    assert.match(stderr, /^fib: 24\/24 \(100%\) \|/m);
    assert.match(stderr, /\]: Done 1 of 24 \| elapsed: /);
    assert.match(stderr, /\]: Done 24 of 24 \| elapsed: /);
    assert.ok(!stderr.includes('\u001b['), 'no terminal escape codes when stderr is not a terminal');
  });

  it('io-vs-cpu: a row per backend and kind of work, every result correct, a winner named for each', async () => {
    const output = await runExample('io-vs-cpu');
    const rows = [
      ...output.matchAll(/^(io|cpu)\s+(sequential|async|threads|processes)\s+(\S+)\s+(\S+)x\s+(\S+)$/gm),
    ];
    assert.deepEqual(
      rows.map((m) => `${m[1]} ${m[2]}`),
      ['io', 'cpu'].flatMap((w) => ['sequential', 'async', 'threads', 'processes'].map((b) => `${w} ${b}`)),
    );
    for (const m of rows) {
      assert.ok(Number(m[3]) > 0 && Number.isFinite(Number(m[4])), m[0]);
      assert.equal(m[5], 'ok', m[0]);
    }
    assert.match(output, /^I\/O-bound work \(waiting\): (async|threads|processes) won this run/m);
    // CPU work is never won by the event loop or by one thread: at most a tie on busy cores.
    assert.match(output, /^CPU-bound work: ((threads|processes) won this run|no clear winner in this run)/m);
    // The CPU job is long enough to measure (a 0.15 s one let async "win").
    const cpuSequential = rows.find((m) => m[1] === 'cpu' && m[2] === 'sequential');
    assert.ok(Number(cpuSequential?.[3]) >= 0.5, `the CPU job took ${cpuSequential?.[3]} s`);
  });
});
