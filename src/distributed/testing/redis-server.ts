/**
 * Test harness: a real `redis-server` of our own on a free port, in its own temp dir, never the
 * system one on 6379. `startRedisServer()` waits until it answers PING; `stop()` ends it and
 * removes its dir; `restart()` brings it back on the same port (with its data when AOF is on;
 * `restart({ empty: true })` wipes it first).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';

export interface RedisServerOptions {
  /** Turn on the append-only file (persistence across restarts). */
  readonly aof?: boolean;
  /** Require this password (`--requirepass`). */
  readonly password?: string;
  /** Serve TLS only (a throwaway CA and certificate for 127.0.0.1 are made with openssl). */
  readonly tls?: boolean;
  /** Addresses to listen on besides 127.0.0.1 (e.g. a veth address for workers in a network namespace). */
  readonly bind?: readonly string[];
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
  /** With `tls`: the CA certificate (PEM) clients must trust. */
  readonly ca?: string;
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
  const tls = options.tls === true ? await makeCertificates(dir) : undefined;
  let child: ChildProcess | undefined;
  const args = (): string[] => [
    ...(tls !== undefined
      ? ['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no', ...tls.args]
      : ['--port', String(port)]),
    '--bind',
    '127.0.0.1',
    ...(options.bind ?? []),
    // Clients from other addresses (e.g. network namespaces) are let in: the harness is for tests.
    ...(options.bind !== undefined && options.bind.length > 0 ? ['--protected-mode', 'no'] : []),
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
    await Promise.race([waitForPing(port, options.password, tls?.ca), exited]);
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
    url: `${tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    plainUrl: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    dir,
    ...(tls !== undefined ? { ca: tls.ca } : {}),
    kill,
    async restart({ empty = false } = {}) {
      await kill();
      if (empty) {
        await rm(join(dir, 'appendonlydir'), { recursive: true, force: true });
        await rm(join(dir, 'dump.rdb'), { force: true });
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

/** A CA and a server certificate for 127.0.0.1, made with the openssl command. */
async function makeCertificates(dir: string): Promise<{ ca: string; args: string[] }> {
  const run = promisify(execFile);
  const at = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=taskmill test CA',
  ]);
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    at('server.key'),
    '-out',
    at('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.crt'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-out',
    at('server.crt'),
    '-days',
    '2',
    '-extfile',
    at('ext.cnf'),
  ]);
  return {
    ca: await readFile(at('ca.crt'), 'utf8'),
    args: [
      '--tls-cert-file',
      at('server.crt'),
      '--tls-key-file',
      at('server.key'),
      '--tls-ca-cert-file',
      at('ca.crt'),
    ],
  };
}

/** Sends PING (after AUTH when needed) until the server answers PONG. */
async function waitForPing(
  port: number,
  password: string | undefined,
  ca: string | undefined,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (await pingOnce(port, password, ca)) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** attempt, 200)));
    if (attempt > 200) throw new Error(`redis-server on port ${port} never answered PING`);
  }
}

function pingOnce(port: number, password: string | undefined, ca: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const send = () => {
      const auth = password !== undefined ? `AUTH ${JSON.stringify(password)}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    };
    const socket =
      ca !== undefined
        ? tlsConnect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, send)
        : netConnect(port, '127.0.0.1', send);
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
  });
}
