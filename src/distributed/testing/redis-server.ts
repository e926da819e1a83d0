/**
 * Test harness: a real `redis-server` of our own on a free port, in its own temp dir, never the
 * system one on 6379. `startRedisServer()` waits until it answers PING; `stop()` ends it and
 * removes its dir; `restart()` brings it back on the same port (with its data when AOF is on;
 * `restart({ empty: true })` wipes it first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServerOptions {
  /** Turn on the append-only file (persistence across restarts). */
  readonly aof?: boolean;
  /** Require this password (`--requirepass`). */
  readonly password?: string;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '100mb']. */
  readonly args?: readonly string[];
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (with the password, when there is one). */
  readonly url: string;
  /** The same URL without credentials. */
  readonly plainUrl: string;
  readonly dir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and keeps its dir, for a restart. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port; `empty` wipes its data first. */
  restart(options?: { empty?: boolean }): Promise<void>;
  /** Stops it for good and removes its dir. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'taskmill-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = (): string[] => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.aof ? 'yes' : 'no',
    ...(options.aof ? ['--appendfsync', 'always'] : []),
    ...(options.password !== undefined ? ['--requirepass', options.password] : []),
    ...(options.args ?? []),
  ];
  const launch = async () => {
    const started = spawn('redis-server', args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    started.stdout?.on('data', (chunk: Buffer) => {
      if (output.length < 10_000) output += chunk.toString();
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      if (output.length < 10_000) output += chunk.toString();
    });
    const exited = new Promise<never>((_, reject) => {
      started.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
      started.once('error', reject);
    });
    exited.catch(() => {});
    child = started;
    await Promise.race([waitForPing(port, options.password), exited]);
  };
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
  await launch();
  const auth = options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : '';
  const server: RedisServer = {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    plainUrl: `redis://127.0.0.1:${port}`,
    dir,
    kill,
    async restart({ empty = false } = {}) {
      await kill();
      if (empty) {
        await rm(dir, { recursive: true, force: true });
        const { mkdir } = await import('node:fs/promises');
        await mkdir(dir, { recursive: true });
      }
      await launch();
    },
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]() {
      return server.stop();
    },
  };
  return server;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Sends PING (after AUTH when needed) until the server answers PONG. */
async function waitForPing(port: number, password: string | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (await pingOnce(port, password)) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** attempt, 200)));
    if (attempt > 200) throw new Error(`redis-server on port ${port} never answered PING`);
  }
}

function pingOnce(port: number, password: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('error', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('+PONG')) done(true);
      else if (reply.includes('-LOADING') || reply.includes('-ERR') || reply.includes('-WRONGPASS'))
        done(false);
    });
    socket.connect(port, '127.0.0.1', () => {
      const auth = password !== undefined ? `AUTH ${JSON.stringify(password)}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    });
  });
}
