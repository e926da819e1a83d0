/** The runner's command line: `node dist-bench/run.js [--runs N] [--quick] [--only S] [--json FILE]`. */
import { BenchUsageError } from './errors.js';

export interface BenchOptions {
  /** Runs per contender; the table shows their median. */
  readonly runs: number;
  /** One run each and smaller sizes: a smoke test of the suite, not figures to publish. */
  readonly quick: boolean;
  /** Scenario id substrings; empty means every scenario. */
  readonly only: readonly string[];
  /** Where to save the raw results as JSON. */
  readonly json: string | undefined;
  /** Where to save the report as Markdown (the tables in a code block). */
  readonly markdown: string | undefined;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]   (or: node dist-bench/run.js [options])

  --runs N        runs per contender, each in a fresh child process; figures are medians (default 5)
  --quick         1 run and smaller sizes: checks the suite works, figures are rough
  --only S        only scenarios whose id contains S (repeat, or comma-separate, for several)
  --json FILE     also save every raw run as JSON
  --markdown FILE also save the report as Markdown (e.g. docs/benchmarks.md)
  --help          this text`;

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let runs: number | undefined;
  let quick = false;
  let json: string | undefined;
  let markdown: string | undefined;
  let help = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '') throw new BenchUsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--runs': {
        const text = value();
        const n = Number(text);
        if (!Number.isInteger(n) || n < 1 || n > 101) {
          throw new BenchUsageError(`--runs takes a whole number from 1 to 101, got ${JSON.stringify(text)}`);
        }
        runs = n;
        break;
      }
      case '--quick':
        quick = true;
        break;
      case '--only':
        for (const part of value().split(',')) if (part.trim() !== '') only.push(part.trim().toLowerCase());
        break;
      case '--json':
        json = value();
        break;
      case '--markdown':
        markdown = value();
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new BenchUsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  return { runs: runs ?? (quick ? 1 : 5), quick, only, json, markdown, help };
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}
