/** `taskmill serve-gallery`: runs the stand-in gallery server until interrupted. */
import { type Command, Option } from 'commander';
import { GalleryServerOptionError } from '../../gallery-server/options.js';
import type { GalleryServer } from '../../gallery-server/server.js';
import { UsageError } from '../errors.js';

function parseNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`--${name} must be a number, got "${value}"`);
    return n;
  };
}

/** `text` as one word a POSIX shell reads back unchanged. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

export function register(program: Command): void {
  program
    .command('serve-gallery')
    .description("Stand-in for Imgur's gallery API, its image host and doutula-style list pages, on loopback")
    .option('--port <n>', 'port (0 picks a free one)', parseNumber('port'), 0)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--seed <n>', 'seed for image bodies and faults', parseNumber('seed'), 1)
    .option('--images <n>', '.jpg images in the gallery', parseNumber('images'), 91)
    .option('--image-size <bytes>', 'bytes per image', parseNumber('image-size'), 102_400)
    .option('--client-id <id>', 'the only client id accepted (default: any)')
    .option('--pages <n>', 'list pages with images', parseNumber('pages'), 10)
    .option('--per-page <n>', 'images per list page', parseNumber('per-page'), 20)
    .option('--hostile-names', 'use hostile file names in pages and URLs')
    .option('--latency <ms>', 'delay before each image response', parseNumber('latency'), 0)
    .option('--api-latency <ms>', 'delay before API and page responses', parseNumber('api-latency'), 0)
    .option('--bandwidth <bytes/s>', 'per-response bandwidth (0 = unlimited)', parseNumber('bandwidth'), 0)
    .option('--error-rate <f>', 'fraction of images answering 500 at first', parseNumber('error-rate'), 0)
    .option('--truncate-rate <f>', 'fraction of images cut short at first', parseNumber('truncate-rate'), 0)
    .option(
      '--reset-rate <f>',
      'fraction of images whose connection is reset at first',
      parseNumber('reset-rate'),
      0,
    )
    .option('--429-rate <f>', 'fraction of images answering 429 at first', parseNumber('429-rate'), 0)
    .option('--drip-rate <f>', 'fraction of images sent as a slow drip at first', parseNumber('drip-rate'), 0)
    .option('--drip-interval <ms>', 'pause between drip pieces', parseNumber('drip-interval'), 50)
    .option('--missing-rate <f>', 'fraction of images that always answer 404', parseNumber('missing-rate'), 0)
    .option(
      '--fault-attempts <n>',
      'requests that misbehave before an image is served',
      parseNumber('fault-attempts'),
      1,
    )
    .option('--retry-after <s>', 'Retry-After seconds sent with 429', parseNumber('retry-after'), 1)
    .addOption(new Option('--no-ranges', 'ignore Range requests (always 200)'))
    .addOption(new Option('--no-checksums', 'do not send Digest: md5=… headers'))
    .action(async (flags: Record<string, unknown>) => {
      const { startGalleryServer } = await import('../../gallery-server/server.js');
      let server: GalleryServer;
      try {
        server = await startGalleryServer({
          port: flags.port as number,
          host: flags.host as string,
          seed: flags.seed as number,
          images: flags.images as number,
          imageSize: flags.imageSize as number,
          clientId: flags.clientId as string | undefined,
          pages: flags.pages as number,
          perPage: flags.perPage as number,
          hostileNames: flags.hostileNames === true,
          latency: flags.latency as number,
          apiLatency: flags.apiLatency as number,
          bandwidth: flags.bandwidth as number,
          errorRate: flags.errorRate as number,
          truncateRate: flags.truncateRate as number,
          resetRate: flags.resetRate as number,
          tooManyRequestsRate: flags['429Rate'] as number,
          dripRate: flags.dripRate as number,
          dripInterval: flags.dripInterval as number,
          missingRate: flags.missingRate as number,
          faultAttempts: flags.faultAttempts as number,
          retryAfter: flags.retryAfter as number,
          ranges: flags.ranges !== false,
          checksums: flags.checksums !== false,
        });
      } catch (error) {
        if (error instanceof GalleryServerOptionError) throw new UsageError(error.message);
        throw error;
      }
      const clientId = (flags.clientId as string | undefined) ?? 'demo';
      process.stdout.write(
        `gallery server listening on ${server.url} (Ctrl-C stops it)\n` +
          `  gallery API: ${server.apiUrl}\n` +
          `    IMGUR_CLIENT_ID=${shellWord(clientId)} taskmill download --imgur --api-url ${server.apiUrl}\n` +
          `  list pages:  ${server.listUrl}?page=N\n` +
          `    taskmill crawl --list-url '${server.listUrl}?page={page}' --pages 1-${server.options.pages || ''}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
