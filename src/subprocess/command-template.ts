/**
 * Command templates for running one command per input (xargs / GNU parallel style).
 * `{}` in any word is replaced by the input; without `{}` the input is appended as the last
 * argument. The input always stays ONE argument: no shell ever sees it, so a file named
 * `; rm -rf ~` is just an odd file name.
 */
export const INPUT_SEPARATOR = ':::';
export const PLACEHOLDER = '{}';

export interface SplitWords {
  /** The command and its argument templates. */
  readonly template: readonly string[];
  /** Inputs given after `:::`, or undefined when there was no `:::` (inputs come from elsewhere). */
  readonly inputs: readonly string[] | undefined;
}

/** Splits `cmd arg … ::: in1 in2 …` into the template and the inputs. */
export function splitInputs(words: readonly string[]): SplitWords {
  const at = words.indexOf(INPUT_SEPARATOR);
  if (at < 0) return { template: words, inputs: undefined };
  return { template: words.slice(0, at), inputs: words.slice(at + 1) };
}

/** The command line for one input. */
export function fillTemplate(
  template: readonly string[],
  input: string,
): { command: string; args: string[] } {
  const [command = '', ...rest] = template;
  if (!template.some((word) => word.includes(PLACEHOLDER))) return { command, args: [...rest, input] };
  const fill = (word: string): string => word.replaceAll(PLACEHOLDER, input);
  return { command: fill(command), args: rest.map(fill) };
}
