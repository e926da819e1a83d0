/** workerpool's worker script (thread or process): registers the bench tasks by name. */
import workerpool from 'workerpool';
import { fib, inc, payloadSize, sleep } from './bench-tasks.js';

workerpool.worker({ inc, fib, payloadSize, sleep });
