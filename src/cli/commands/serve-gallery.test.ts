/**
 * `taskmill serve-gallery` as a person uses it: it prints where it listens and two commands to
 * paste; pasted into a shell, they work as printed; `curl -I` (HEAD) gets headers; Ctrl-C
 * (SIGINT) stops it with status 0; a bad flag is one line and status 2.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, makeTempDir, runCli } from '../../downloader/testing/cli-runner.js';

function head(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'HEAD' }, (res) => {
      let body = 0;
      res.on('data', (chunk: Buffer) => (body += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs `line` in a POSIX shell with `taskmill` on the PATH, as a pasted command would run. */
function shell(line: string, bin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('sh', ['-c', line], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, IMGUR_CLIENT_ID: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('taskmill serve-gallery', { timeout: 60_000 }, () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let bin: string;
  let server: ChildProcess;
  let printed = '';
  before(async () => {
    temp = await makeTempDir('serve-gallery');
    bin = join(temp.path, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'taskmill'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    await chmod(join(bin, 'taskmill'), 0o755);
    server = spawn(
      process.execPath,
      [CLI, 'serve-gallery', '--images', '6', '--image-size', '3000', '--pages', '2', '--per-page', '3'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    server.stdout?.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      server.stdout?.on('data', (text: string) => {
        printed += text;
        if (printed.includes('taskmill crawl')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`serve-gallery exited with ${code}: ${printed}`)));
    });
  });
  after(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGKILL');
      await once(server, 'exit');
    }
    await temp.remove();
  });

  it('prints a download command that works when pasted, client id included', async () => {
    const line = printed.split('\n').find((l) => l.includes('taskmill download'));
    assert.ok(line !== undefined, printed);
    assert.match(
      line,
      /IMGUR_CLIENT_ID=\S+ taskmill download --imgur --api-url http:\/\/127\.0\.0\.1:\d+\/3\/gallery\//,
    );
    const out = join(temp.path, 'gallery');
    const result = await shell(`${line.trim()} --out '${out}' -q`, bin);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /6 downloaded, 0 skipped, 0 failed of 6/);
    assert.equal((await readdir(out)).length, 6);
  });

  it('prints a crawl command that works when pasted', async () => {
    const line = printed.split('\n').find((l) => l.includes('taskmill crawl'));
    assert.ok(line !== undefined, printed);
    const out = join(temp.path, 'crawl');
    const result = await shell(`${line.trim()} --out '${out}' -q`, bin);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await readdir(out)).length, 6, 'two pages of three pictures');
  });

  it('answers HEAD like GET, without a body', async () => {
    const base = /listening on (http:\/\/\S+)/.exec(printed)?.[1];
    assert.ok(base !== undefined, printed);
    const image = await head(`${base}/i/1.jpg`);
    assert.equal(image.status, 200);
    assert.equal(image.headers['content-length'], '3000');
    assert.equal(image.headers['content-type'], 'image/jpeg');
    assert.equal(image.body, 0);
    const index = await head(`${base}/`);
    assert.equal(index.status, 200, 'curl -I on the printed address works');
    assert.equal(index.body, 0);
    assert.ok(Number(index.headers['content-length']) > 0, 'the length GET would send');
    const page = await head(`${base}/photo/list/?page=1`);
    assert.equal(page.status, 200);
    assert.equal((await head(`${base}/3/gallery/`)).status, 401, 'the API still wants a client id');
  });

  it('refuses a bad flag value in one line with status 2', async () => {
    const result = await runCli(['serve-gallery', '--error-rate', '2']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /errorRate must be a number from 0 to 1/);
  });

  it('stops on SIGINT with status 0', async () => {
    const exited = once(server, 'exit');
    server.kill('SIGINT');
    const [code] = await exited;
    assert.equal(code, 0);
  });
});
