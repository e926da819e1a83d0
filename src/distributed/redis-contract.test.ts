/** The redis backend passes the same Pool contract as every local backend, against a real worker. */
import { after, before } from 'node:test';
import { describePoolContract } from '../pool/testing/pool-contract.js';
import { type RedisServer, startRedisServer } from './testing/redis-server.js';
import { type RedisWorker, startWorker } from './worker.js';

let server: RedisServer;
let worker: RedisWorker;
const queue = 'contract';

before(async () => {
  server = await startRedisServer();
  worker = await startWorker({
    tasks: [new URL('../pool/fixtures/math-tasks.js', import.meta.url)],
    queue,
    connection: server.url,
    concurrency: 50,
    initializer: 'math-tasks#setup',
    initializerArgs: ['ctx'],
  });
});

after(async () => {
  await worker?.close();
  await server?.stop();
});

describePoolContract('redis', {
  get connection() {
    return server.url;
  },
  queue,
  inFlight: 8,
});
