/** Every options object of download(), crawl() and the gallery server refuses a key nobody reads, naming the closest one. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError } from '../core/errors.js';
import { startGalleryServer } from '../gallery-server/server.js';
import { crawl } from './crawl.js';
import { download } from './download.js';
import { makeTempDir } from './testing/cli-runner.js';

async function firstEvent(events: AsyncGenerator<unknown>): Promise<unknown> {
  const { value } = await events.next();
  await events.return(undefined);
  return value;
}

function refused(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.match(error.message, pattern);
    return true;
  };
}

describe('unknown option keys', { timeout: 30_000 }, () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    temp = await makeTempDir('unknown-options');
  });
  after(async () => {
    await temp.remove();
  });

  it('download() refuses a misspelt option before writing anything', async () => {
    const out = join(temp.path, 'never');
    await assert.rejects(
      firstEvent(download(['http://127.0.0.1:9/a.jpg'], { out, concurency: 4 } as never)),
      refused(/download\(\) options has no option "concurency": did you mean "concurrency"\?/),
    );
    assert.equal(existsSync(out), false);
  });

  it('download() refuses an unknown pool option', async () => {
    await assert.rejects(
      firstEvent(download(['http://127.0.0.1:9/a.jpg'], { out: temp.path, pool: { queu: 'x' } } as never)),
      refused(/download\(\) options\.pool has no option "queu": did you mean "queue"\?/),
    );
  });

  it('download() refuses an unknown key of the imgur source', async () => {
    await assert.rejects(
      firstEvent(download({ imgur: { clientID: 'x' } } as never, { out: temp.path })),
      refused(/the imgur source has no option "clientID": did you mean "clientId"\?/),
    );
  });

  it('crawl() refuses unknown options and selectors', async () => {
    const listUrl = 'http://127.0.0.1:9/list?page={page}';
    await assert.rejects(
      firstEvent(crawl({ listUrl, out: temp.path, pageWorker: 2 } as never)),
      refused(/crawl\(\) options has no option "pageWorker": did you mean "pageWorkers"\?/),
    );
    await assert.rejects(
      firstEvent(crawl({ listUrl, out: temp.path, selectors: { images: 'img' } } as never)),
      refused(/crawl\(\) selectors has no option "images": did you mean "image"\?/),
    );
  });

  it('the gallery server refuses an unknown option', async () => {
    await assert.rejects(
      startGalleryServer({ imagesize: 10 } as never),
      refused(/gallery server options has no option "imagesize": did you mean "imageSize"\?/),
    );
  });
});
