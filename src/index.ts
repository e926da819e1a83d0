/**
 * taskmill: run many tasks concurrently or in parallel with one API over every execution model.
 * This is the only public entry point; everything else is internal.
 */

// Core: tasks, the pool, jobs, errors.
export type {
  Backend,
  BackendName,
  EnqueueOptions,
  ExecRequest,
  ExecResult,
  RemoteJob,
} from './core/backend.js';
export {
  InvalidArgumentError,
  JobLostError,
  PoolClosedError,
  QueueFullError,
  TaskAbortedError,
  TaskmillError,
  TaskTimeoutError,
  UncloneableArgumentError,
  UncloneableResultError,
  UnknownTaskError,
  WaitTimeoutError,
  WorkerCrashedError,
} from './core/errors.js';
export { Job, type JobState } from './core/job.js';
export {
  type CallOptions,
  type Task,
  type TaskArgs,
  type TaskRef,
  type TaskResult,
  type TasksOf,
  type TasksOptions,
  taskRef,
  tasks,
} from './core/task.js';
// Inside a task: what it can see of its surroundings.
export {
  type CurrentTask,
  currentTask,
  type ProgressUpdate,
  reportProgress,
  workerContext,
} from './core/task-context.js';
export { move } from './core/transfer.js';
// Seeing the work: the dashboard, metrics (pool.metrics(), Prometheus text) and traces.
export type { DashboardOptions } from './dashboard/dashboard-options.js';
export { startDashboard } from './dashboard/public.js';
export type { Dashboard, DashboardState } from './dashboard/server.js';
// Distributed: the redis backend's worker (`taskmill worker`) and queue admin (`taskmill queue`).
export { PayloadTooLargeError, RedisConnectionError } from './distributed/errors.js';
export { openQueueAdmin, startWorker } from './distributed/public.js';
export type { FailedJob, QueueAdmin, QueueAdminOptions, QueueCounts } from './distributed/queue-admin.js';
export type { TaskModuleSpec } from './distributed/task-allow-list.js';
export type { RedisWorker, WorkerOptions } from './distributed/worker.js';
// Downloader: the seeds' gallery downloader and crawler (the stand-in server they are tested
// against is a command, `taskmill serve-gallery`, not part of the library).
export type { CrawlEvent, CrawlOptions, CrawlSummary } from './downloader/crawl.js';
export type { DownloadInput, DownloadSource } from './downloader/download.js';
export { DownloadSourceError, OutputFolderError } from './downloader/errors.js';
export type { ImgurSource } from './downloader/imgur-source.js';
export type { FoundImage, PageSelectors } from './downloader/list-page-parser.js';
export type { DownloadOptions } from './downloader/options.js';
export { crawl, download } from './downloader/public.js';
export type { DownloadEvent, DownloadSummary, ItemResult, Outcome } from './downloader/types.js';
export type { ExposeOptions, Exposure } from './observe/expose.js';
export type { HistogramSnapshot } from './observe/histogram.js';
export type { PoolMetrics, TaskMetrics } from './observe/pool-metrics.js';
export type { MetricsCallOptions, MetricsOption } from './observe/pool-observe.js';
export { type MetricsSource, type PromRegistry, registerPoolMetrics } from './observe/prom-client-bridge.js';
// parallel(): joblib's Parallel, with the automatic backend and progress.
export type { AutoChoice } from './parallel/auto-choice.js';
export {
  type ParallelEvent,
  type ParallelOptions,
  type ParallelProgress,
  type ParallelResults,
  parallel,
} from './parallel/parallel.js';
export type { MapProgress } from './pool/map-run.js';
export { type MapOptions, Pool, type PoolEvents, type PoolOptions, type ProgressEvent } from './pool/pool.js';
// Schedules: run a task every interval or by cron, on Redis (one run per window) or locally.
export { InvalidScheduleError, ScheduleNotFoundError } from './schedules/errors.js';
export {
  Schedule,
  type ScheduleEvents,
  type ScheduleInfo,
  type ScheduleMissed,
  type ScheduleRun,
} from './schedules/schedule.js';
export type { MissedPolicy, ScheduleOptions } from './schedules/spec.js';
// Subprocesses: run external commands (no shell), alone or many at once.
export type { CommandResult } from './subprocess/command-result.js';
export {
  CommandAbortedError,
  CommandFailedError,
  CommandNotFoundError,
  CommandStartError,
  CommandStoppedError,
  CommandTimeoutError,
  OutputLimitError,
} from './subprocess/errors.js';
export { type RunOptions, runCommand } from './subprocess/run-command.js';
export {
  type EachOutcome,
  type RunEachOptions,
  type RunEachSummary,
  runEach,
} from './subprocess/run-each.js';
export { type CommandSpec, type RunManyOptions, runMany } from './subprocess/run-many.js';
// Sync primitives: a joinable queue, locks and semaphores for async code, and a lock and
// counters over shared memory for worker threads (pass `.handle`, rebuild with `.from()`).
export { AtomicCounter, type AtomicCounterHandle } from './sync/atomic-counter.js';
export {
  LockNotHeldError,
  QueueClosedError,
  TaskDoneTooManyError,
  WaitAbortedError,
} from './sync/errors.js';
export { JoinableQueue, type JoinableQueueOptions, type WaitOptions } from './sync/joinable-queue.js';
export { Lock } from './sync/lock.js';
export { type AcquireOptions, type Release, Semaphore } from './sync/semaphore.js';
export { SharedLock, type SharedLockHandle } from './sync/shared-lock.js';
export { TaskLocal } from './sync/task-local.js';
// Workflows: chain, group, chord (and TaskRef.partial), run by pool.run / submitFlow / flow(id).
export { chain, chord, group } from './workflows/compose.js';
export { FlowCancelledError, FlowNodeError, FlowNotFoundError } from './workflows/errors.js';
export type { FlowEvents, FlowHandle, FlowNode, FlowState } from './workflows/flow-handle.js';
export type { NodeEvent, NodeProgress, NodeState } from './workflows/flow-run.js';
export type { Flow, NodeOptions, Step } from './workflows/spec.js';
export type { SubmitFlowOptions } from './workflows/submit.js';
