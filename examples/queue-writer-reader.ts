/**
 * The seeds' writer and reader over a Queue. The writer runs in a child process and sends each
 * value to this process as progress data (a child cannot hold our queue); we put the values on
 * a JoinableQueue, and the reader takes them in order.
 *
 * Unlike the seed, the reader is not an endless loop killed with terminate(): once the writer
 * has finished and every value is handled (join), the queue is closed and the reader ends.
 *
 * Run: node dist-examples/queue-writer-reader.js
 */
import { JoinableQueue, Pool, tasks } from 'taskmill';
import type * as QueueTasks from './tasks/queue-tasks.js';

const t = tasks<typeof QueueTasks>(new URL('./tasks/queue-tasks.js', import.meta.url));
const queue = new JoinableQueue<string>();
const got: string[] = [];

async function reader(): Promise<void> {
  console.log(`Process to read: ${process.pid} (this process)`);
  for await (const value of queue) {
    console.log(`Get ${value} from queue.`);
    got.push(value);
    queue.taskDone();
  }
  console.log('reader stops: the queue is closed and empty');
}

await using pool = new Pool({ backend: 'processes', workers: 1 });
const reading = reader();
const writer = pool.submit(t.write, ['A', 'B', 'C']);
writer.onProgress((update) => {
  console.log(update.message);
  void queue.put(update.data as string); // unbounded: put never waits
});
const writerPid = await writer.get(); // progress messages arrive before the result
console.log(`Process to write: ${writerPid} (a child process: ${writerPid !== process.pid})`);
await queue.join(); // every value put has been read
queue.close(); // nothing more will come: the reader's loop ends
await reading;
console.log(`reader got, in order: ${got.join(', ')}`);
