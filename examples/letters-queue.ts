/**
 * The seeds' 26 letters over a JoinableQueue (Python: multiprocessing.JoinableQueue with two
 * reader processes). One producer puts 'a'..'z'; two consumers take letters and acknowledge
 * each with taskDone(); the producer's join() waits until every letter was handled. Then the
 * queue is closed and the consumers end cleanly (no daemons killed mid-item, as in the seed).
 *
 * Run: node dist-examples/letters-queue.js
 * (In your own code, import from 'taskmill' instead of '../index.js'.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { JoinableQueue } from 'taskmill';

const queue = new JoinableQueue<string>({ maxSize: 5 }); // bounded: the producer waits when 5 are queued
const handled: string[] = [];

async function consumer(name: string): Promise<void> {
  for await (const letter of queue) {
    try {
      console.log(`${name} got ${letter}`);
      await sleep(Math.random() * 5); // pretend to work on it
      handled.push(letter);
    } finally {
      queue.taskDone(); // always acknowledge, even if the work failed
    }
  }
  console.log(`${name} stops: the queue is closed and empty`);
}

const consumers = [consumer('consumer 1'), consumer('consumer 2')];
for (let code = 97; code < 97 + 26; code++) await queue.put(String.fromCharCode(code));
await queue.join(); // every letter put has been taskDone()'d
console.log(
  `join() returned: ${handled.length} letters handled, each exactly once: ${new Set(handled).size === 26}`,
);
queue.close(); // no more letters: the consumers' loops end
await Promise.all(consumers);
