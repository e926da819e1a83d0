/**
 * Runs one benchmark client in a fresh process under /usr/bin/time, so every contender (Node,
 * Python, aria2c) is measured the same way: CPU seconds (user + system, the whole process
 * including its start), peak RSS, and wall seconds (the client's own timing when it reports one).
 */
import { spawn } from 'node:child_process';
import { access, readFile, rm } from 'node:fs/promises';

export interface ClientMeasure {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  readonly failed: number;
}

export async function hasCommand(command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      await access(`${dir}/${command}`);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

export async function measureClient(
  command: string,
  args: readonly string[],
  timeFile: string,
): Promise<ClientMeasure> {
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const timing = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1) ?? '';
  await rm(timeFile, { force: true });
  const [wall, user, system, rssKiB] = timing.split(' ').map(Number);
  if (code !== 0)
    throw new Error(`${command} exited with ${code}: ${stderr.trim().split('\n').slice(-2).join(' | ')}`);
  let reported: { seconds?: number; failed?: number } = {};
  const line = stdout.trim().split('\n').at(-1);
  if (line?.startsWith('{')) reported = JSON.parse(line) as typeof reported;
  return {
    seconds: reported.seconds ?? (wall as number),
    cpuSeconds: (user as number) + (system as number),
    peakRssMiB: (rssKiB as number) / 1024,
    failed: reported.failed ?? 0,
  };
}
