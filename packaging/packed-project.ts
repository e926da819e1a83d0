/**
 * Test harness for the package as users get it: `npm pack` of this repo (exactly the files the
 * tarball ships, without rebuilding: `npm test` has just built), and brand-new projects
 * (`npm init -y`) in temporary folders that install that tarball.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository: one level above packaging/ and dist-packaging/ alike. */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface CommandOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (killed after `timeout` ms); never throws for a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeout?: number },
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        timeout: options.timeout ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(
            new Error(`${command} ${args.join(' ')} did not run to its end: ${error.message}\n${stderr}`),
          );
          return;
        }
        resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
      },
    );
  });
}

/** Fails with the command's output when it did not exit 0. */
export async function runOk(
  command: string,
  args: readonly string[],
  options: Parameters<typeof run>[2],
): Promise<CommandOutput> {
  const output = await run(command, args, options);
  if (output.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${output.code}\n--- stdout\n${output.stdout}\n--- stderr\n${output.stderr}`,
    );
  }
  return output;
}

/** npm with an environment of its own: no settings inherited from an `npm test` that runs us. */
export function npm(args: readonly string[], cwd: string): Promise<CommandOutput> {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(process.env)) if (/^npm_/i.test(key)) env[key] = undefined;
  return runOk('npm', [...args, '--no-audit', '--no-fund'], {
    cwd,
    env: { ...env, NODE_OPTIONS: undefined },
  });
}

export interface Tarball {
  readonly path: string;
  /** Every path in the tarball, relative to the package root. */
  readonly files: readonly string[];
  remove(): Promise<void>;
}

/** Packs the repo as `npm publish` would (the built dist as it is: prepack is not run again). */
export async function packTarball(): Promise<Tarball> {
  const dir = await mkdtemp(join(tmpdir(), 'taskmill-pack-'));
  const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (info === undefined) throw new Error(`npm pack printed no package:\n${stdout}`);
  return {
    path: join(dir, info.filename),
    files: info.files.map((f) => f.path).sort(),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface Project {
  readonly dir: string;
  /** Writes a file of the project (folders made as needed). */
  write(file: string, text: string): Promise<void>;
  read(file: string): Promise<string>;
  /** `node ...args` in the project folder. */
  node(args: readonly string[], env?: Record<string, string | undefined>): Promise<CommandOutput>;
  /**
   * Makes packages of this repo's node_modules (peers, typescript, @types/node) visible to the
   * project, as if installed; after `npm install`, which would remove them again.
   */
  linkFromRepo(packages: readonly string[]): Promise<void>;
  remove(): Promise<void>;
}

/** A brand-new project, as `npm init -y` makes it; `type: 'module'` when asked for. */
export async function newProject(type?: 'module'): Promise<Project> {
  const dir = await mkdtemp(join(tmpdir(), 'taskmill-consumer-'));
  await npm(['init', '-y'], dir);
  if (type === 'module') {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    manifest.type = 'module';
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return {
    dir,
    async write(file, text) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), text);
    },
    read: (file) => readFile(join(dir, file), 'utf8'),
    node: (args, env) => run(process.execPath, args, { cwd: dir, ...(env ? { env } : {}) }),
    async linkFromRepo(packages) {
      for (const name of packages) {
        const target = join(dir, 'node_modules', name);
        await mkdir(dirname(target), { recursive: true });
        await rm(target, { recursive: true, force: true });
        await symlink(join(ROOT, 'node_modules', name), target, 'dir');
      }
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The repo's TypeScript compiler, run on a project's tsconfig.json. */
export function tsc(project: Project): Promise<CommandOutput> {
  return run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project.dir], {
    cwd: project.dir,
  });
}

/** The optional peer dependencies, as package.json names them. */
export async function optionalPeers(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    peerDependencies?: Record<string, string>;
  };
  return Object.keys(manifest.peerDependencies ?? {});
}
