/**
 * chain, group and chord, typed end to end: a chain whose step does not take the previous
 * step's output does not compile, and the result of a flow is the type its last step returns.
 *
 * - `chain(a, b, c)`: a runs, its output is b's last argument, b's output is c's.
 * - `group([a, b])` (or `group(a, b)`): all run together; the output is their outputs, in order.
 *   Within a chain, each member gets the previous step's output.
 * - `chord(header, callback)`: the callback gets every output of the header (a group, or a list
 *   of steps): `chain(group(header), callback)`.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isTaskRef } from '../core/task.js';
import { type Flow, type FlowSpec, isFlow, makeFlow, type Step } from './spec.js';

// biome-ignore lint/suspicious/noExplicitAny: "any step": its types are read from it, not checked against this
type AnyStep = { readonly __signature?: (...args: any[]) => unknown };

/** The output type of a step. */
export type OutputOf<S> = S extends { readonly __signature?: (...args: infer _A) => infer O } ? O : never;
/** What a step still takes (its remaining argument list). */
export type NeedOf<S> = S extends { readonly __signature?: (...args: infer A) => unknown } ? A : never;

type Last<S extends readonly unknown[]> = S extends readonly [...unknown[], infer L] ? L : never;

/** Each step after the first must take the previous step's output as its one remaining argument. */
type ChainCheck<S extends readonly unknown[], Prev> = S extends readonly [infer H, ...infer T]
  ? [Step<[Prev], OutputOf<H>>, ...ChainCheck<T, OutputOf<H>>]
  : [];
type ChainSteps<S extends readonly unknown[]> = S extends readonly [infer H, ...infer T]
  ? [H, ...ChainCheck<T, OutputOf<H>>]
  : S;

/** Outputs of a group's members, in order (a tuple for a tuple, an array for an array). */
type GroupOutput<S extends readonly unknown[]> = { -readonly [K in keyof S]: OutputOf<S[K]> };
/** A group takes nothing when every member takes nothing, else the one input they all take. */
type GroupNeed<S extends readonly unknown[]> = [S[number]] extends [Step<[], unknown>]
  ? []
  : [S[number]] extends [{ readonly __signature?: (input: infer I) => unknown }]
    ? [I]
    : never;

/** Runs the steps one after another, each taking the previous step's output. */
export function chain<const S extends readonly [AnyStep, ...AnyStep[]]>(
  ...steps: S & ChainSteps<S>
): Flow<NeedOf<S[0]>, OutputOf<Last<S>>> {
  if ((steps as readonly unknown[]).length === 0)
    throw new InvalidArgumentError('chain() needs at least one step: chain(t.a, t.b)');
  return makeFlow({ type: 'chain', steps: steps.map((step, i) => specOf(step, `chain() step ${i}`)) });
}

/** Runs the steps together; the output is every step's output, in order. */
export function group<const S extends readonly AnyStep[]>(steps: S): Flow<GroupNeed<S>, GroupOutput<S>>;
export function group<const S extends readonly AnyStep[]>(...steps: S): Flow<GroupNeed<S>, GroupOutput<S>>;
export function group(...input: unknown[]): Flow {
  const steps = input.length === 1 && Array.isArray(input[0]) ? (input[0] as unknown[]) : input;
  return makeFlow({ type: 'group', members: steps.map((step, i) => specOf(step, `group() member ${i}`)) });
}

/** Runs the header's steps together, then the callback with all their outputs (in order). */
export function chord<H extends Flow | readonly AnyStep[], C extends AnyStep>(
  header: H,
  callback: C & Step<[HeaderOutput<H>], OutputOf<C>>,
): Flow<HeaderNeed<H>, OutputOf<C>> {
  const head = Array.isArray(header)
    ? { type: 'group' as const, members: header.map((step, i) => specOf(step, `chord() header step ${i}`)) }
    : specOf(header, 'chord() header');
  return makeFlow({ type: 'chain', steps: [head, specOf(callback, 'chord() callback')] });
}

type HeaderOutput<H> = H extends readonly unknown[] ? GroupOutput<H> : OutputOf<H>;
type HeaderNeed<H> = H extends readonly unknown[] ? GroupNeed<H> : NeedOf<H>;

/** A step's run-time description: a task reference is a task with no bound arguments. */
export function specOf(step: unknown, where: string): FlowSpec {
  if (isFlow(step)) return step.spec;
  if (isTaskRef(step)) return { type: 'task', task: step, args: [], options: {} };
  throw new InvalidArgumentError(
    `${where} is not a step: pass a task reference (t.name), a partial (t.name.partial(arg)) or a chain/group/chord`,
  );
}
