/** `taskmill demo` end to end, small: two tables, every backend, redis skipped with a note, one line of advice. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../distributed/testing/redis-server.js';
import { runCli } from '../testing/cli-runner.js';

const SMALL = [
  '--images',
  '6',
  '--image-size',
  '1000',
  '--latency',
  '0',
  '--sequential-subset',
  '3',
  '--workers',
  '2',
  '--cpu-tasks',
  '2',
  '--fib',
  '15',
];

describe('taskmill demo', () => {
  it('prints the download and CPU tables for every backend and one line of advice', async () => {
    const result = await runCli(['demo', ...SMALL, '--redis', 'redis://127.0.0.1:1']);
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.match(out, /sequential\s+[\d.]+\s+1\.0x\s+[\d.]+\s+extrapolated from 3 images/);
    for (const backend of ['async', 'threads', 'processes']) {
      assert.equal(
        out.match(new RegExp(`^${backend}\\s+[\\d.]+\\s+[\\d.]+x\\s+[\\d.]+`, 'gm'))?.length,
        2,
        backend,
      );
    }
    assert.match(out, /^redis\s+-\s+-\s+-\s+skipped: no Redis server at redis:\/\/127\.0\.0\.1:1$/m);
    assert.equal(out.match(/^Advice: /gm)?.length, 1);
    assert.equal(result.stderr, '');
  });

  it("sizes the CPU job to this machine unless --fib is given, so the pool's speed-up is measurable", async () => {
    const args = SMALL.slice(0, SMALL.indexOf('--cpu-tasks'));
    const result = await runCli(['demo', ...args, '--cpu-tasks', '4', '--redis', 'redis://127.0.0.1:1']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^CPU-bound: 4 x fib\(\d+\) \(n sized to ~100 ms a call here\) on each backend/m,
    );
    // The CPU table's sequential row: 4 calls of at least ~100 ms each (fib(31) took ~3 ms).
    const cpuTable = result.stdout.slice(result.stdout.lastIndexOf('CPU-bound: 4 x fib'));
    const sequential = /^sequential\s+([\d.]+)/m.exec(cpuTable);
    assert.ok(sequential !== null, result.stdout);
    assert.ok(Number(sequential[1]) >= 0.3, `the CPU job took ${sequential[1]} s sequentially`);
  });

  it('with a Redis server, runs the redis row and leaves no key behind in that Redis', async () => {
    await using server = await startRedisServer();
    const result = await runCli(['demo', ...SMALL, '--redis', server.url]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^redis\s+[\d.]+\s+[\d.]+x\s+[\d.]+\s+\d+ jobs in flight/m);
    const client = new Redis(server.url);
    try {
      assert.deepEqual(await client.keys('*'), [], 'the demo removed its queue');
    } finally {
      client.disconnect();
    }
  });
});
