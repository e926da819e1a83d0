/**
 * Deterministic image bodies, generated from a seed (no files). Every image of one size shares a
 * precomputed pseudo-random buffer; the first bytes differ per image (a JPEG-like marker and
 * the image id), so every image is distinct while serving one costs no copying.
 */
import { createHash } from 'node:crypto';

/** Bytes at the start of each body that depend on the image id. */
export const HEADER_BYTES = 12;

const shared = new Map<string, Buffer>();

/** The pseudo-random bytes shared by every image of `size` bytes made from `seed`. */
export function sharedBody(seed: number, size: number): Buffer {
  const key = `${seed}:${size}`;
  let body = shared.get(key);
  if (body === undefined) {
    body = Buffer.allocUnsafe(size);
    let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
    const words = Math.floor(size / 4);
    for (let i = 0; i < words; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      body.writeUInt32LE(x, i * 4);
    }
    for (let i = words * 4; i < size; i++) body[i] = (i * 31 + seed) & 0xff;
    shared.set(key, body);
  }
  return body;
}

/** The id-specific first bytes of image `id` (at most `size` of them). */
export function imageHeader(id: number, size: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = 0xff;
  header[1] = 0xd8;
  header[2] = 0xff;
  header[3] = 0xe0;
  header.writeBigUInt64LE(BigInt(id), 4);
  return header.subarray(0, Math.min(HEADER_BYTES, size));
}

/** The pieces of image `id` from byte `start` on, without copying the shared part. */
export function imagePieces(seed: number, size: number, id: number, start = 0): Buffer[] {
  const header = imageHeader(id, size);
  const body = sharedBody(seed, size);
  const pieces: Buffer[] = [];
  if (start < header.length) pieces.push(header.subarray(start));
  const from = Math.max(start, header.length);
  if (from < size) pieces.push(body.subarray(from));
  return pieces;
}

/** The whole body of image `id`, as one buffer (for checking downloads). */
export function imageBody(seed: number, size: number, id: number): Buffer {
  return Buffer.concat(imagePieces(seed, size, id));
}

/** Base64 MD5 of image `id`, cached. */
export class DigestCache {
  readonly #cache = new Map<number, string>();
  constructor(
    private readonly seed: number,
    private readonly size: number,
  ) {}

  md5(id: number): string {
    let digest = this.#cache.get(id);
    if (digest === undefined) {
      const hash = createHash('md5');
      for (const piece of imagePieces(this.seed, this.size, id)) hash.update(piece);
      digest = hash.digest('base64');
      this.#cache.set(id, digest);
    }
    return digest;
  }
}
