import { assertKnownKeys } from '../core/option-keys.js';

/** What the stand-in gallery server serves and how badly it behaves. All knobs are optional. */
export interface GalleryServerOptions {
  /** Port to listen on; 0 (default) picks a free one. Always binds 127.0.0.1 unless `host` says otherwise. */
  readonly port?: number;
  readonly host?: string;
  /** Seed for image bodies and for which images misbehave. Default 1. */
  readonly seed?: number;
  /** .jpg images in the gallery API response (plus some .gif and album links). Default 91, as in the seeds. */
  readonly images?: number;
  /** Bytes per image. Default 102,400 (100 KiB). */
  readonly imageSize?: number;
  /** Client id the API accepts; default: any `Authorization: Client-ID <something>`. */
  readonly clientId?: string;
  /** List pages served at /photo/list/?page=N (pages after the last have no images). Default 10. */
  readonly pages?: number;
  /** Images per list page. Default 20. */
  readonly perPage?: number;
  /** Put hostile names (`../../x`, `/etc/x`, NUL, 10,000 characters, collisions) in pages and URLs. */
  readonly hostileNames?: boolean;
  /** Milliseconds before each image response starts. Default 0. */
  readonly latency?: number;
  /** Milliseconds before each API and list-page response. Default 0. */
  readonly apiLatency?: number;
  /** Bytes per second per image response; 0 (default) is unlimited. */
  readonly bandwidth?: number;
  /** Fractions of images (0..1) that misbehave on their first `faultAttempts` requests. */
  readonly errorRate?: number;
  readonly truncateRate?: number;
  readonly resetRate?: number;
  readonly tooManyRequestsRate?: number;
  /** Fraction of images sent as a slow drip (small pieces with pauses); `dripInterval` ms apart. */
  readonly dripRate?: number;
  readonly dripInterval?: number;
  /** Fraction of images that always answer 404 (permanent failures). */
  readonly missingRate?: number;
  /** Requests for a misbehaving image that misbehave before it is served properly. Default 1. */
  readonly faultAttempts?: number;
  /** Seconds sent in Retry-After with a 429. Default 1. */
  readonly retryAfter?: number;
  /** Honour `Range: bytes=N-` with 206 (default true). */
  readonly ranges?: boolean;
  /** Send `Digest: md5=…` of every image (default true; costs one MD5 per image, cached). */
  readonly checksums?: boolean;
}

/** Every key of GalleryServerOptions: anything else is refused by name. */
export const GALLERY_SERVER_OPTION_KEYS = [
  'port',
  'host',
  'seed',
  'images',
  'imageSize',
  'clientId',
  'pages',
  'perPage',
  'hostileNames',
  'latency',
  'apiLatency',
  'bandwidth',
  'errorRate',
  'truncateRate',
  'resetRate',
  'tooManyRequestsRate',
  'dripRate',
  'dripInterval',
  'missingRate',
  'faultAttempts',
  'retryAfter',
  'ranges',
  'checksums',
] as const satisfies readonly (keyof GalleryServerOptions)[];

export interface ResolvedServerOptions {
  readonly port: number;
  readonly host: string;
  readonly seed: number;
  readonly images: number;
  readonly imageSize: number;
  readonly clientId: string | undefined;
  readonly pages: number;
  readonly perPage: number;
  readonly hostileNames: boolean;
  readonly latency: number;
  readonly apiLatency: number;
  readonly bandwidth: number;
  readonly errorRate: number;
  readonly truncateRate: number;
  readonly resetRate: number;
  readonly tooManyRequestsRate: number;
  readonly dripRate: number;
  readonly dripInterval: number;
  readonly missingRate: number;
  readonly faultAttempts: number;
  readonly retryAfter: number;
  readonly ranges: boolean;
  readonly checksums: boolean;
}

export class GalleryServerOptionError extends Error {
  readonly code = 'ERR_TASKMILL_GALLERY_OPTION';
}

function num(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new GalleryServerOptionError(
      `${name} must be a number from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

export function resolveServerOptions(options: GalleryServerOptions = {}): ResolvedServerOptions {
  if (options === null || typeof options !== 'object') {
    throw new GalleryServerOptionError('gallery server options must be an object');
  }
  assertKnownKeys(options, GALLERY_SERVER_OPTION_KEYS, 'gallery server options');
  const resolved: ResolvedServerOptions = {
    port: num('port', options.port, 0, 0, 65535),
    host: options.host ?? '127.0.0.1',
    seed: num('seed', options.seed, 1, 0, 2 ** 32 - 1),
    images: Math.floor(num('images', options.images, 91, 0, 10_000_000)),
    imageSize: Math.floor(num('imageSize', options.imageSize, 102_400, 1, 2 ** 31)),
    clientId: options.clientId,
    pages: Math.floor(num('pages', options.pages, 10, 0, 10_000_000)),
    perPage: Math.floor(num('perPage', options.perPage, 20, 1, 10_000)),
    hostileNames: options.hostileNames ?? false,
    latency: num('latency', options.latency, 0, 0, 600_000),
    apiLatency: num('apiLatency', options.apiLatency, 0, 0, 600_000),
    bandwidth: num('bandwidth', options.bandwidth, 0, 0, Number.MAX_SAFE_INTEGER),
    errorRate: num('errorRate', options.errorRate, 0, 0, 1),
    truncateRate: num('truncateRate', options.truncateRate, 0, 0, 1),
    resetRate: num('resetRate', options.resetRate, 0, 0, 1),
    tooManyRequestsRate: num('tooManyRequestsRate', options.tooManyRequestsRate, 0, 0, 1),
    dripRate: num('dripRate', options.dripRate, 0, 0, 1),
    dripInterval: num('dripInterval', options.dripInterval, 50, 0, 600_000),
    missingRate: num('missingRate', options.missingRate, 0, 0, 1),
    faultAttempts: Math.floor(num('faultAttempts', options.faultAttempts, 1, 0, 1_000_000)),
    retryAfter: num('retryAfter', options.retryAfter, 1, 0, 86_400),
    ranges: options.ranges ?? true,
    checksums: options.checksums ?? true,
  };
  const faults =
    resolved.errorRate +
    resolved.truncateRate +
    resolved.resetRate +
    resolved.tooManyRequestsRate +
    resolved.dripRate +
    resolved.missingRate;
  if (faults > 1 + 1e-9) {
    throw new GalleryServerOptionError(
      `the fault rates add up to ${faults.toFixed(3)}; they must add up to at most 1`,
    );
  }
  return resolved;
}
