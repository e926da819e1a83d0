/**
 * "Separate hosts" for the scale-out benchmark: each worker runs in its own Linux network
 * namespace, reaching Redis over a veth link (10.77.<n>.2 -> 10.77.<n>.1), as a worker on
 * another machine would. Needs root and `ip`; when the machine does not allow it, hosts are
 * plain processes and the row says so.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Hosts {
  /** Whether real namespaces are in use. */
  readonly isolated: boolean;
  /** Address of Redis as host `i` sees it. */
  redisAddress(i: number): string;
  /** Command prefix that runs a program on host `i`. */
  prefix(i: number): string[];
  /** Addresses Redis must listen on. */
  readonly bind: string[];
  remove(): Promise<void>;
}

export async function makeHosts(count: number): Promise<Hosts> {
  const tag = `${process.pid % 10_000}`;
  const made: string[] = [];
  try {
    for (let i = 1; i <= count; i++) {
      const ns = `tmbench-${tag}-${i}`;
      const outside = `tmb${tag}h${i}a`;
      const inside = `tmb${tag}h${i}b`;
      await run('ip', ['netns', 'add', ns]);
      made.push(ns);
      await run('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
      await run('ip', ['link', 'set', inside, 'netns', ns]);
      await run('ip', ['addr', 'add', `10.77.${i}.1/30`, 'dev', outside]);
      await run('ip', ['link', 'set', outside, 'up']);
      await run('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `10.77.${i}.2/30`, 'dev', inside]);
      await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', inside, 'up']);
      await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    }
    return {
      isolated: true,
      redisAddress: (i) => `10.77.${i}.1`,
      prefix: (i) => ['ip', 'netns', 'exec', `tmbench-${tag}-${i}`],
      bind: Array.from({ length: count }, (_, i) => `10.77.${i + 1}.1`),
      remove: () => removeAll(made),
    };
  } catch {
    await removeAll(made);
    return {
      isolated: false,
      redisAddress: () => '127.0.0.1',
      prefix: () => [],
      bind: [],
      remove: async () => {},
    };
  }
}

/** Deleting a namespace deletes the veth pair with it. */
async function removeAll(namespaces: string[]): Promise<void> {
  for (const ns of namespaces) await run('ip', ['netns', 'del', ns]).catch(() => {});
}
