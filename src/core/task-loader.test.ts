/**
 * A task URL names a module the way an import specifier does: `./tasks.js` is tasks.js when
 * that file exists, else its TypeScript sibling tasks.ts, so one source works run from source
 * (only .ts on disk) and compiled (.js beside it). A missing module names both files tried.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Pool } from '../pool/pool.js';
import { UnknownTaskError } from './errors.js';
import { tasks } from './task.js';
import { loadModule, resolveTaskModule } from './task-loader.js';

describe('task module URLs', () => {
  let dir: string;
  const url = (name: string) => pathToFileURL(join(dir, name)).href;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taskmill-loader-'));
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n'); // as the README's projects
    await writeFile(join(dir, 'only-ts.ts'), 'export const kind = (): string => "ts";\n');
    await writeFile(join(dir, 'both.ts'), 'export const kind = (): string => "ts";\n');
    await writeFile(join(dir, 'both.js'), 'export const kind = () => "js";\n');
    await writeFile(join(dir, 'module.mts'), 'export const kind = (): string => "mts";\n');
    await writeFile(join(dir, 'plain.js'), 'export const kind = () => "js";\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a .js URL whose file is missing resolves to the .ts beside it; .mjs to .mts', () => {
    assert.equal(resolveTaskModule(url('only-ts.js')), url('only-ts.ts'));
    assert.equal(resolveTaskModule(url('module.mjs')), url('module.mts'));
  });

  it('a .js file that exists is taken as it is (compiled output wins over its source)', async () => {
    assert.equal(resolveTaskModule(url('both.js')), url('both.js'));
    assert.equal(resolveTaskModule(url('plain.js')), url('plain.js'));
    assert.equal(((await loadModule(url('both.js'))).kind as () => string)(), 'js');
  });

  it('a module missing both ways is an UnknownTaskError naming the file and its sibling', () => {
    assert.throws(
      () => resolveTaskModule(url('gone.js')),
      (error: unknown) =>
        error instanceof UnknownTaskError &&
        error.message.includes(join(dir, 'gone.js')) &&
        error.message.includes(`nor its TypeScript sibling ${join(dir, 'gone.ts')}`),
    );
    assert.throws(() => resolveTaskModule(url('gone.ts')), /there is no file .*gone\.ts$/);
  });

  for (const backend of ['async', 'threads', 'processes'] as const) {
    it(`${backend}: a task named by ./x.js runs from x.ts when only the TypeScript file exists`, async () => {
      const t = tasks<{ kind(): string }>(new URL(url('only-ts.js')));
      const pool = new Pool({ backend, workers: 1 });
      try {
        assert.equal(await pool.apply(t.kind), 'ts');
        const missing = tasks<{ kind(): string }>(new URL(url('gone.js')));
        await assert.rejects(pool.apply(missing.kind), /nor its TypeScript sibling .*gone\.ts/);
      } finally {
        await pool.terminate();
      }
    });
  }
});
