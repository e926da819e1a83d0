/**
 * What a `taskmill worker` may run: the exported functions of the modules it was started
 * with, keyed by module id (`--tasks ./dist/tasks.js` is `tasks`; `--tasks img=./a.js` is
 * `img`). A job naming anything else fails with UnknownTaskError and loads no code: the id is
 * only looked up in this list, never turned into a path or an import.
 */
import { UnknownTaskError } from '../core/errors.js';
import { defaultModuleId, type TaskRef, taskRef, toModuleUrl, validateModuleId } from '../core/task.js';
import { loadModule } from '../core/task-loader.js';

export interface TaskModuleSpec {
  /** Module id callers use (`<id>#<export>`); default: the file name without extension. */
  readonly id?: string;
  /** Path or file URL of the module. */
  readonly module: string | URL;
}

/** Parses `path` or `id=path` (the --tasks flag). */
export function parseTaskSpec(text: string): TaskModuleSpec {
  const at = text.indexOf('=');
  if (at > 0 && !/^[a-z]+:/i.test(text.slice(0, at)))
    return { id: text.slice(0, at), module: text.slice(at + 1) };
  return { module: text };
}

export class TaskAllowList {
  readonly #modules = new Map<string, { url: string; exports: Set<string> }>();
  readonly #refs = new Map<string, TaskRef>();

  private constructor() {}

  /** Loads every module now, so a bad path fails the worker at start, not on the first job. */
  static async load(specs: readonly (TaskModuleSpec | string)[]): Promise<TaskAllowList> {
    if (specs.length === 0) {
      throw new UnknownTaskError('a worker needs at least one task module: --tasks ./dist/tasks.js');
    }
    const list = new TaskAllowList();
    for (const raw of specs) {
      const spec = typeof raw === 'string' ? parseTaskSpec(raw) : raw;
      const url = toModuleUrl(spec.module);
      const id = validateModuleId(spec.id ?? defaultModuleId(url));
      const existing = list.#modules.get(id);
      if (existing !== undefined && existing.url !== url) {
        throw new UnknownTaskError(
          `two task modules share the id ${JSON.stringify(id)} (${existing.url} and ${url}): name one with --tasks otherid=path`,
        );
      }
      const mod = await loadModule(url);
      const exports = new Set(Object.keys(mod).filter((key) => typeof mod[key] === 'function'));
      list.#modules.set(id, { url, exports });
    }
    return list;
  }

  /** Module ids and their task names, for logs. */
  describe(): string {
    return [...this.#modules].map(([id, m]) => `${id} (${[...m.exports].join(', ')})`).join('; ');
  }

  get moduleIds(): string[] {
    return [...this.#modules.keys()];
  }

  /** The task a job names, or UnknownTaskError ("unknown task …") when it is not on the list. */
  resolve(taskId: unknown): TaskRef {
    if (typeof taskId === 'string') {
      const cached = this.#refs.get(taskId);
      if (cached !== undefined) return cached;
    }
    const text = typeof taskId === 'string' ? taskId : String(taskId);
    const hash = text.lastIndexOf('#');
    const moduleId = hash > 0 ? text.slice(0, hash) : '';
    const name = hash > 0 ? text.slice(hash + 1) : '';
    const entry = this.#modules.get(moduleId);
    if (typeof taskId !== 'string' || entry === undefined || !entry.exports.has(name)) {
      throw new UnknownTaskError(
        `unknown task ${JSON.stringify(text.slice(0, 200))}: this worker runs only the exports of ${this.moduleIds.join(', ')}; ` +
          'start a worker with --tasks <module that exports it>',
      );
    }
    const ref = taskRef(entry.url, name, { id: moduleId });
    if (this.#refs.size < 10_000) this.#refs.set(taskId, ref);
    return ref;
  }
}
