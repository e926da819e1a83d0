/**
 * One reader of a queue's event stream (BullMQ writes `completed`, `failed`, `progress`… to
 * `<prefix>:<queue>:events`): a loop of blocking XREADs on its own connection that hands each
 * event to `onEvent`. One reader serves every job of a pool, so collecting N results costs a
 * handful of reads, not N round trips. It rides out reconnects, resuming after the last id seen.
 */
import type { Redis } from 'ioredis';

export interface QueueEvent {
  readonly event: string;
  readonly jobId: string | undefined;
  readonly fields: Readonly<Record<string, string>>;
}

export class EventReader {
  readonly #client: Redis;
  readonly #key: string;
  readonly #onEvent: (event: QueueEvent) => void;
  readonly #wanted: Set<string>;
  #lastId = '0-0';
  #closed = false;
  #loop: Promise<void> | undefined;

  constructor(client: Redis, key: string, wanted: readonly string[], onEvent: (event: QueueEvent) => void) {
    this.#wanted = new Set(wanted);
    this.#client = client;
    this.#key = key;
    this.#onEvent = onEvent;
  }

  /** Hands events of this kind to `onEvent` too, from now on. */
  want(event: string): void {
    this.#wanted.add(event);
  }

  /** Stops handing events of this kind to `onEvent`. */
  unwant(event: string): void {
    this.#wanted.delete(event);
  }

  /** Starts reading after the stream's current last entry (earlier events are not ours). */
  async start(): Promise<void> {
    const last = (await this.#client.xrevrange(this.#key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    this.#lastId = last[0]?.[0] ?? '0-0';
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await this.#client.xread(
          'COUNT',
          2000,
          'BLOCK',
          1000,
          'STREAMS',
          this.#key,
          this.#lastId,
        )) as [string, [string, string[]][]][] | null;
      } catch {
        if (this.#closed) return;
        // Connection lost: ioredis reconnects; wait a little and read on from the last id.
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (reply === null) continue;
      for (const [, entries] of reply) {
        for (const [id, list] of entries) {
          this.#lastId = id;
          // Most events (added, waiting, active…) concern nobody here: skip them unparsed.
          if (list[0] === 'event' && !this.#wanted.has(list[1] as string)) continue;
          const fields: Record<string, string> = {};
          for (let i = 0; i + 1 < list.length; i += 2) fields[list[i] as string] = list[i + 1] as string;
          try {
            this.#onEvent({ event: fields.event ?? '', jobId: fields.jobId, fields });
          } catch {
            // A bad event must not stop the reader.
          }
        }
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#client.disconnect();
    await this.#loop?.catch(() => {});
  }
}
