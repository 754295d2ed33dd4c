// The one command-line shell of the benchmarks (bench/run.ts, bench/accuracy.ts): parse, `help` → usage on stdout,
// a usage error → one line and the usage on stderr (exit 2), run, print the targets, a crash → the stack (exit 1).
import { pathToFileURL } from 'node:url';

export interface BenchCommand<A, R> {
  /** the prefix of its error lines: "bench", "accuracy" */
  tool: string;
  usage: string;
  parse(argv: string[]): A;
  /** its own usage error (message "help" asks for the usage) */
  isUsageError(err: unknown): err is Error;
  run(args: A): Promise<R>;
  /** prints the result, returns the exit code */
  report(result: R): number;
}

export async function benchMain<A, R>(cmd: BenchCommand<A, R>, argv: string[]): Promise<number> {
  let args: A;
  try {
    args = cmd.parse(argv);
  } catch (err) {
    if (!cmd.isUsageError(err)) throw err;
    if (err.message === 'help') {
      process.stdout.write(`${cmd.usage}\n`);
      return 0;
    }
    process.stderr.write(`${cmd.tool}: ${err.message}\n${cmd.usage}\n`);
    return 2;
  }
  return cmd.report(await cmd.run(args));
}

/** Runs `cmd` when `moduleUrl` is the script node was started with (not when a test imports it). */
export function runIfMain<A, R>(moduleUrl: string, cmd: BenchCommand<A, R>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  benchMain(cmd, process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${cmd.tool}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
