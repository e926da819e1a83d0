import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { sampleTreeMemory, treeRssKiB } from './process-tree-memory.js';

// A child that starts a grandchild, prints the grandchild's pid once the grandchild is running
// JavaScript (so both hold a whole Node runtime in memory), and waits.
const PARENT_SOURCE = `
const { spawn } = require('node:child_process');
const g = spawn(process.execPath, ['-e', 'process.stdout.write("up"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
g.stdout.once('data', () => process.stdout.write(String(g.pid) + '\\n'));
process.stdin.on('end', () => { g.kill('SIGKILL'); process.exit(0); });
process.stdin.resume();
`;

describe('process tree memory', () => {
  it('adds the RSS of descendants to the root process', async (t) => {
    const child = spawn(process.execPath, ['-e', PARENT_SOURCE], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => child.kill('SIGKILL'));
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const grandchild = Number(chunk.toString().trim());
    assert.ok(grandchild > 0);

    const treeKiB = treeRssKiB(child.pid as number);
    const grandchildKiB = treeRssKiB(grandchild);
    assert.ok(treeKiB !== undefined && grandchildKiB !== undefined);
    // Each node process holds several MiB resident; the tree holds both.
    assert.ok(grandchildKiB > 1024, `grandchild ${grandchildKiB} KiB`);
    assert.ok(treeKiB > grandchildKiB + 1024, `tree ${treeKiB} KiB, grandchild ${grandchildKiB} KiB`);

    const sampler = sampleTreeMemory(child.pid as number);
    sampler.stop();
    assert.ok((sampler.peakMiB ?? 0) * 1024 >= grandchildKiB);

    child.stdin.end();
    await once(child, 'exit');
  });

  it('reports nothing for a process that does not exist', () => {
    assert.equal(treeRssKiB(2 ** 22 + 1), undefined);
  });
});
