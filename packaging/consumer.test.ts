/**
 * A newcomer's project: `npm init -y` (CommonJS, as npm makes it), then `npm install` of the
 * packed tarball, offline. A Pool over threads costs at most 5 MiB and no native code; the
 * package is require()d from .cjs and imported from .mjs; a TypeScript .cts consumer compiles
 * (strict, library checks on) and runs; every optional part that is not installed says which
 * package to install.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newProject, npm, type Project, packTarball, run, type Tarball, tsc } from './packed-project.js';

const FIVE_MIB_IN_KIB = 5 * 1024;

const TASKS_CJS = `
exports.square = (n) => n * n;
exports.threadId = () => require('node:worker_threads').threadId;
`;

const TASKS_MJS = `
export const square = (n) => n * n;
`;

describe('a new npm project that installs the tarball', { timeout: 240_000 }, () => {
  let tarball: Tarball;
  let project: Project;
  before(async () => {
    tarball = await packTarball();
    project = await newProject();
    // --offline: taskmill needs nothing from the registry (no required dependencies).
    await npm(['install', '--offline', tarball.path], project.dir);
  });
  after(async () => {
    await project?.remove();
    await tarball?.remove();
  });

  it('installs taskmill alone: at most 5 MiB, no native code, no install scripts', async () => {
    const lock = JSON.parse(await project.read('package-lock.json')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const installed = Object.keys(lock.packages).filter((path) => path !== '');
    assert.deepEqual(installed, ['node_modules/taskmill']);
    assert.ok(!installed.some((path) => lock.packages[path]?.hasInstallScript));
    const { stdout } = await run('du', ['-sk', 'node_modules'], { cwd: project.dir });
    const kib = Number(stdout.split(/\s/)[0]);
    assert.ok(kib > 0 && kib <= FIVE_MIB_IN_KIB, `node_modules is ${kib} KiB`);
    const entries = await readdir(join(project.dir, 'node_modules'), { recursive: true });
    assert.deepEqual(
      entries.filter((e) => e.endsWith('.node')),
      [],
    );
  });

  it('require() from a .cjs file: a Pool over threads runs a CommonJS task module', async () => {
    await project.write('tasks.cjs', TASKS_CJS);
    await project.write(
      'main.cjs',
      `const { pathToFileURL } = require('node:url');
const { Pool, tasks, TaskmillError } = require('taskmill');
const { reportProgress } = require('taskmill/task');
const t = tasks(pathToFileURL(__dirname + '/tasks.cjs'));
const pool = new Pool({ backend: 'threads', workers: 2 });
(async () => {
  try {
    const squares = await pool.map(t.square, [1, 2, 3]);
    const thread = await pool.apply(t.threadId);
    console.log(JSON.stringify({ squares, offThread: thread !== 0, error: typeof TaskmillError, task: typeof reportProgress }));
  } finally {
    pool.close();
    await pool.join();
  }
})();
`,
    );
    const result = await project.node(['main.cjs']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '', 'no warning either');
    assert.deepEqual(JSON.parse(result.stdout), {
      squares: [1, 4, 9],
      offThread: true,
      error: 'function',
      task: 'function',
    });
  });

  it('import from an .mjs file: the same package, and the same classes as require() gives', async () => {
    await project.write('tasks.mjs', TASKS_MJS);
    await project.write(
      'main.mjs',
      `import { createRequire } from 'node:module';
import { Pool, tasks, TaskmillError } from 'taskmill';
const t = tasks(new URL('./tasks.mjs', import.meta.url));
const pool = new Pool({ backend: 'threads', workers: 2 });
try {
  const sameClass = createRequire(import.meta.url)('taskmill').TaskmillError === TaskmillError;
  console.log(JSON.stringify({ squares: await pool.map(t.square, [4, 5]), sameClass }));
} finally {
  pool.close();
  await pool.join();
}
`,
    );
    const result = await project.node(['main.mjs']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { squares: [16, 25], sameClass: true });
  });

  it('optional parts not installed: each says what to install, with a stable code', async () => {
    await project.write(
      'missing.mjs',
      `import { Pool, download, parallel, tasks } from 'taskmill';
const out = {};
const code = (e) => ({ code: e.code, name: e.name, packages: e.packages, message: e.message });
try { new Pool({ backend: 'redis', connection: 'redis://127.0.0.1:1', queue: 'q' }); } catch (e) { out.redis = code(e); }
try { for await (const _ of download(['http://127.0.0.1:1/a.jpg'], { out: 'images' })) {} } catch (e) { out.download = code(e); }
try { await parallel([1], (n) => n, { progress: true }); } catch (e) { out.progress = code(e); }
console.log(JSON.stringify(out));
`,
    );
    const result = await project.node(['missing.mjs']);
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as Record<
      string,
      { code: string; packages: string[]; message: string }
    >;
    const expected: Record<string, string[]> = {
      redis: ['bullmq', 'ioredis'],
      download: ['undici'],
      progress: ['cli-progress'],
    };
    for (const [feature, packages] of Object.entries(expected)) {
      const error = out[feature];
      assert.ok(error, `${feature} did not fail`);
      assert.equal(error.code, 'ERR_TASKMILL_MISSING_DEPENDENCY', feature);
      assert.deepEqual(error.packages, packages);
      assert.match(error.message, new RegExp(`npm install ${packages.map((p) => `${p}@\\S+`).join(' ')}$`));
    }
  });

  it('a TypeScript task module on a Node without type stripping asks for tsx', async (t) => {
    if ((process.features as { typescript?: unknown }).typescript) {
      t.skip('this Node strips types by itself');
      return;
    }
    await project.write('ts-tasks.ts', 'export const double = (n: number): number => n * 2;\n');
    await project.write(
      'ts-missing.mjs',
      `import { Pool, tasks } from 'taskmill';
const t = tasks(new URL('./ts-tasks.js', import.meta.url));
const pool = new Pool({ backend: 'threads', workers: 1 });
try { await pool.apply(t.double, 2); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
await pool.terminate();
`,
    );
    const result = await project.node(['ts-missing.mjs']);
    assert.equal(result.code, 0, result.stderr);
    const error = JSON.parse(result.stdout) as { code: string; message: string };
    assert.equal(error.code, 'ERR_TASKMILL_MISSING_DEPENDENCY');
    assert.match(error.message, /TypeScript task module.*npm install tsx@/);
  });

  it('npx taskmill without the command-line packages: one line naming them, exit 1', async () => {
    const result = await run('npx', ['--no-install', 'taskmill', '--help'], { cwd: project.dir });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^taskmill: the taskmill command needs commander, cli-progress, undici and cheerio, which are not installed .*: npm install commander@\S+ cli-progress@\S+ undici@\S+ cheerio@\S+\n$/,
    );
  });

  it('a TypeScript .cts consumer compiles with tsc (strict, skipLibCheck off) and runs', async () => {
    // The compiler and Node's types come from this repo; they are not part of the footprint.
    await project.linkFromRepo(['typescript', '@types/node']);
    await project.write(
      'tsconfig.json',
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: ['node'],
          skipLibCheck: false,
          outDir: 'build',
        },
        include: ['consumer.cts'],
      }),
    );
    await project.write(
      'consumer.cts',
      `import { pathToFileURL } from 'node:url';
import { Pool, type TaskRef, tasks, UnknownTaskError } from 'taskmill';
import { currentTask } from 'taskmill/task';

type Tasks = { square(n: number): number };
const t = tasks<Tasks>(pathToFileURL(\`\${__dirname}/../tasks.cjs\`));
const ref: TaskRef<[number], number> = t.square;

async function main(): Promise<void> {
  const pool = new Pool({ backend: 'threads', workers: 1 });
  try {
    const nine: number = await pool.apply(ref, 3);
    console.log(JSON.stringify({ nine, unknown: new UnknownTaskError('x').code, outside: currentTask() ?? null }));
  } finally {
    pool.close();
    await pool.join();
  }
}
void main();
`,
    );
    const compiled = await tsc(project);
    assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
    const output = await readFile(join(project.dir, 'build', 'consumer.cjs'), 'utf8');
    assert.match(output, /require\("taskmill"\)/, 'compiled to CommonJS');
    const result = await project.node(['build/consumer.cjs']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      nine: 9,
      unknown: 'ERR_TASKMILL_UNKNOWN_TASK',
      outside: null,
    });
  });
});
