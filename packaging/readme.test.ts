/**
 * The README's code runs as written. Every TypeScript and JavaScript block (see
 * readme-blocks.ts for the few rules) is saved in a new ESM project that installs the packed
 * tarball, with the optional packages and TypeScript linked from this repo. TypeScript blocks
 * are type-checked together by tsc (strict), then each runs twice: compiled, with node, and
 * from source, under tsx. JavaScript blocks run with node. Each must exit 0 and print no
 * warning. Blocks added to the README later are picked up by the same rules.
 *
 * Blocks that use Redis read REDIS_URL, which points at a redis-server of this test's own.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RedisServer, startRedisServer } from '../dist/distributed/testing/redis-server.js';
import {
  type CommandOutput,
  newProject,
  npm,
  optionalPeers,
  type Project,
  packTarball,
  ROOT,
  type Tarball,
  tsc,
} from './packed-project.js';
import { type CodeBlock, extractCode } from './readme-blocks.js';

const README = await readFile(join(ROOT, 'README.md'), 'utf8');
const { blocks, fragments } = extractCode(README);
const typescript = blocks.filter((b) => b.language === 'typescript');
const BLOCK_TIMEOUT = 90_000;

/** The TypeScript settings the README tells users to compile with. */
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2023', 'esnext.disposable'],
    types: ['node'],
    skipLibCheck: false,
    outDir: 'build',
    rootDir: '.',
  },
  include: ['*.ts', '*.mts', '*.cts'],
};

function where(block: CodeBlock): string {
  return `README.md line ${block.line} (${block.file})`;
}

function assertRan(block: CodeBlock, how: string, result: CommandOutput): void {
  assert.equal(
    result.code,
    0,
    `${where(block)} ${how} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
  );
  assert.doesNotMatch(
    result.stderr,
    /Warning|warning:/,
    `${where(block)} ${how} printed a warning:\n${result.stderr}`,
  );
}

describe('the README quick start', () => {
  it('is tasks.ts and main.ts, naming the task module ./tasks.js, with no `using` (Node 20 runs it)', () => {
    const [first, second] = typescript;
    assert.ok(first && second, 'the README has no TypeScript quick start');
    assert.equal(first.file, 'tasks.ts');
    assert.equal(second.file, 'main.ts');
    assert.match(second.code, /new URL\('\.\/tasks\.js', import\.meta\.url\)/);
    for (const block of [first, second]) assert.doesNotMatch(block.code, /\busing\b/);
  });

  it('shows `await using` only beside the Node version that runs it', () => {
    for (const block of blocks.filter((b) => /\bawait using\b/.test(b.code))) {
      const prose = README.split('\n')
        .slice(Math.max(0, block.line - 6), block.line - 1)
        .join('\n');
      assert.match(
        prose,
        /Node(\.js)? 24/,
        `${where(block)} uses await using without saying which Node runs it`,
      );
    }
  });

  it('keeps fragments (blocks not run) few, each with its reason', () => {
    assert.ok(fragments.length <= 3, `${fragments.length} fragments: make blocks runnable instead`);
    assert.ok(blocks.length >= 8, `only ${blocks.length} runnable blocks found`);
  });
});

describe('every TypeScript and JavaScript block of the README', { timeout: 600_000 }, () => {
  let tarball: Tarball;
  let project: Project;
  let redis: RedisServer;
  let env: Record<string, string>;
  before(async () => {
    [tarball, project, redis] = await Promise.all([packTarball(), newProject('module'), startRedisServer()]);
    env = { REDIS_URL: redis.url };
    await npm(['install', '--offline', tarball.path], project.dir);
    await project.linkFromRepo([...(await optionalPeers()), 'typescript', '@types/node']);
    await project.write('tsconfig.json', `${JSON.stringify(TSCONFIG, null, 2)}\n`);
    for (const block of blocks) await project.write(block.file, block.code);
  });
  after(async () => {
    await redis?.stop();
    await project?.remove();
    await tarball?.remove();
  });

  it('type-check under strict TypeScript', async () => {
    const result = await tsc(project);
    const lines = `${result.stdout}${result.stderr}`.replace(/^(\S+?)\((\d+),/gm, (text, file: string) => {
      const block = blocks.find((b) => b.file === file);
      return block ? `README.md line ${block.line} + ${text}` : text;
    });
    assert.equal(result.code, 0, lines);
  });

  for (const block of blocks) {
    if (block.language === 'typescript') {
      const compiled = block.file.replace(/\.([cm]?)ts$/, '.$1js');
      it(`${where(block)}: compiled by tsc, runs with node`, { timeout: BLOCK_TIMEOUT }, async () => {
        assertRan(block, 'compiled', await project.node([join('build', compiled)], env));
      });
      it(`${where(block)}: from source, runs under tsx`, { timeout: BLOCK_TIMEOUT }, async () => {
        assertRan(block, 'under tsx', await project.node(['--import', 'tsx', block.file], env));
      });
    } else {
      it(`${where(block)}: runs with node`, { timeout: BLOCK_TIMEOUT }, async () => {
        assertRan(block, 'with node', await project.node([block.file], env));
      });
    }
  }
});
