/** Creates the output folder and proves it can be written, before anything is downloaded. */
import { mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputFolderError } from './errors.js';

/** The real path of `out`, created if missing; throws OutputFolderError when it cannot be written. */
export async function prepareOutputFolder(out: string): Promise<string> {
  try {
    await mkdir(out, { recursive: true });
    const real = await realpath(out);
    const probe = join(real, `.taskmill-write-probe-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return real;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new OutputFolderError(
      `cannot write to the output folder ${JSON.stringify(out)} (${code}): choose another --out or fix its permissions`,
      { cause: error },
    );
  }
}
