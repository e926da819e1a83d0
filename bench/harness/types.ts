/**
 * The shapes a benchmark scenario is written in. A scenario module is imported twice: by the
 * runner (to list contenders and read targets) and by a fresh child process per run (to run
 * one contender). So a contender's `run` must load its peer libraries itself (dynamic import),
 * and everything a run needs must come from `params`, which crosses as JSON.
 */

/** What one run of one contender measured, inside its child process. */
export interface Sample {
  /** The scenario's metric (tasks/s, MiB/s, ms…); omitted when the metric is the child's peak RSS. */
  readonly value?: number;
  /** Wall time of the measured part, in ms (shown for context). */
  readonly ms?: number;
  /** A short remark to show beside the figure (e.g. what `auto` chose). */
  readonly note?: string;
}

/** A bound the issue sets on a figure: `value >= min` or `value <= max`. */
export interface Target {
  readonly min?: number;
  readonly max?: number;
}

export interface Contender<P> {
  /** Stable id, used by `compareTo` and in the JSON output. */
  readonly id: string;
  /** What the table shows. */
  readonly label: string;
  /** The peer this row is compared with: a contender id, or several (the best of them counts). */
  readonly compareTo?: string | readonly string[];
  /** Target from the issue for this row's figure (absolute), if any. */
  readonly target?: Target;
  /** Target for this row's ratio against its peer (e.g. auto within 15% of the best fixed backend). */
  readonly ratioTarget?: Target;
  /** Runs in a fresh child process; resolves with what it measured. */
  run(params: P): Promise<Sample>;
}

export interface Scenario<P = unknown> {
  /** Short id, matched by `--only`. */
  readonly id: string;
  readonly title: string;
  /** One line saying what is measured and how. */
  readonly method: string;
  /** Unit of the figure (e.g. "tasks/s"). */
  readonly unit: string;
  readonly higherIsBetter: boolean;
  /** 'sample': the child reports the figure; 'peak-rss': the figure is the peak RSS of the child's process tree (MiB). */
  readonly metric?: 'sample' | 'peak-rss';
  /** The contender rows compare with unless they name their own peer. */
  readonly baseline: string;
  /** Parameters for a run (smaller with --quick). */
  params(quick: boolean): P;
  /** Longest one run may take before it is stopped, in ms. */
  readonly timeoutMs: number;
  /**
   * Time budget per contender, in ms of child wall time (default 60 s): once its runs have
   * taken this long, a contender gets no more runs beyond the third. Keeps slow peers from
   * stretching the suite; the table says when it applied.
   */
  readonly budgetMs?: number;
  readonly contenders: readonly Contender<P>[];
}

/** One run as the runner saw it. */
export interface RunRecord {
  readonly value?: number;
  readonly ms?: number;
  readonly note?: string;
  /** Peak RSS of the child and all its descendants, in MiB. */
  readonly peakRssMiB?: number;
  /** Wall time of the whole child process as the runner saw it (start to exit), in ms. */
  readonly wallMs?: number;
  readonly error?: string;
}
