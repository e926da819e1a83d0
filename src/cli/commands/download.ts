/** `taskmill download`: fetch a gallery (Imgur API), a file/stdin of URLs, or URLs given as arguments. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { addDownloadFlags, downloadOptionsFrom } from '../../downloader/console/common-flags.js';
import { addOutputFlags, consoleFlags } from '../../downloader/console/output-flags.js';
import type { DownloadSource } from '../../downloader/download.js';
import { checkUrl, DEFAULT_IMGUR_API } from '../../downloader/urls.js';
import { UsageError } from '../errors.js';

async function readLines(path: string): Promise<string[]> {
  let text: string;
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read --input ${path} (${(error as NodeJS.ErrnoException).code}): check the path`,
      );
    }
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export function register(program: Command): void {
  const command = program
    .command('download')
    .description(
      'Download images: an Imgur gallery (--imgur), a list of URLs (--input FILE or -), or URLs given here',
    )
    .argument('[urls...]', 'URLs to download')
    .option('--imgur', 'download the .jpg images of the Imgur gallery (client id from IMGUR_CLIENT_ID)')
    .option('--api-url <url>', 'gallery API endpoint', DEFAULT_IMGUR_API)
    .option('-i, --input <file>', "file of URLs, one per line ('-' reads stdin)");
  addOutputFlags(addDownloadFlags(command)).action(async (urls: string[], flags: Record<string, unknown>) => {
    const sources = [flags.imgur === true, flags.input !== undefined, urls.length > 0].filter(Boolean).length;
    if (sources !== 1) {
      throw new UsageError(
        'give exactly one source: URLs as arguments, --input FILE (or - for stdin), or --imgur',
      );
    }
    let source: DownloadSource;
    if (flags.imgur === true) {
      const clientId = process.env.IMGUR_CLIENT_ID;
      if (clientId === undefined || clientId.trim() === '') {
        throw new UsageError("set IMGUR_CLIENT_ID to your Imgur application's client id to use --imgur");
      }
      source = { imgur: { clientId, apiUrl: checkUrl(flags.apiUrl) } };
    } else {
      const list = flags.input !== undefined ? await readLines(flags.input as string) : urls;
      for (const url of list) checkUrl(url);
      if (list.length === 0) throw new UsageError(`--input ${flags.input as string} has no URLs`);
      source = list;
    }
    // Loaded on use, so that `taskmill --help` and other commands start fast.
    const { download } = await import('../../downloader/download.js');
    const { runToConsole } = await import('../../downloader/console/run-to-console.js');
    const options = downloadOptionsFrom(flags);
    process.exitCode = await runToConsole((signal) => download(source, { ...options, signal }), {
      label: 'download',
      ...consoleFlags(flags),
    });
  });
}
