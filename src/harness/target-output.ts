// A launched target's output: both pipes into their capped logs, the last bytes of stderr, the stdout lines the
// reference proxy announces itself on (parsed only until it is ready: after that stdout is only logged), and
// --ready-log's match on either stream. target.ts starts it as soon as the target is spawned.
import type { ChildProcess } from 'node:child_process';
import type { LogRecord } from '../model/report.js';
import { lineSplitter } from '../util/line-splitter.js';
import type { CappedLog } from './capped-log.js';
import { lineWatcher } from './readiness.js';

const STDERR_TAIL = 16 * 1024;
/** a stdout line longer than this is not a readiness line: the pending part is dropped, not grown */
const MAX_PENDING_LINE = 64 * 1024;
/** stdout lines kept for the announcements (only what readiness needs) */
const KEPT_LINES = 64;

export interface TargetOutput {
  /** the stdout lines kept since the last take (while parsing) */
  takeLines(): string[];
  /** resolves at the next stdout chunk while parsing (race it with a timer) */
  nextChunk(): Promise<void>;
  /** the target is ready: stdout is only logged from now on */
  stopParsing(): void;
  /** --ready-log matched a line (true without one) */
  logReady(): boolean;
  /** the last bytes of stderr */
  stderrTail(): string;
  /** both pipes ended (or were destroyed) */
  readonly pipesEnded: Promise<unknown>;
  /** closes the pipes and the logs: what each log kept */
  close(): { stdout: LogRecord; stderr: LogRecord };
}

export function captureOutput(
  child: ChildProcess,
  opts: {
    stdout: CappedLog;
    stderr: CappedLog;
    /** parse stdout for announcements (the reference proxy's "listening" and pool lines) */
    parse: boolean;
    readyLog: RegExp | undefined;
    onOutput: ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined;
  },
): TargetOutput {
  const { readyLog, onOutput } = opts;
  let stderrTail = '';
  // --ready-log: either stream may carry the line
  const watchers = readyLog ? [lineWatcher(readyLog), lineWatcher(readyLog)] : null;
  let logReady = !readyLog;
  let lines: string[] = [];
  const splitStdout = lineSplitter(
    (line) => {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
    },
    { maxPending: MAX_PENDING_LINE },
  );
  let chunkWaiter: (() => void) | null = null;
  let parsing = opts.parse;
  child.stdout!.on('data', (chunk: Buffer) => {
    opts.stdout.write(chunk);
    if (watchers && !logReady) logReady = watchers[0](chunk.toString('utf8'));
    onOutput?.('stdout', chunk);
    if (!parsing) return;
    splitStdout(chunk.toString('utf8'));
    chunkWaiter?.();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    opts.stderr.write(chunk);
    if (watchers && !logReady) logReady = watchers[1](chunk.toString('utf8'));
    onOutput?.('stderr', chunk);
    stderrTail = (stderrTail + chunk.subarray(-STDERR_TAIL).toString('utf8')).slice(-STDERR_TAIL);
  });
  const pipesEnded = Promise.all(
    [child.stdout!, child.stderr!].map(
      (s) =>
        new Promise<void>((r) => {
          if (s.readableEnded || s.destroyed) return r();
          s.once('end', () => r());
          s.once('close', () => r());
        }),
    ),
  );
  return {
    takeLines: () => lines.splice(0),
    nextChunk: () => new Promise<void>((r) => (chunkWaiter = r)),
    stopParsing: () => {
      parsing = false;
      chunkWaiter = null;
      lines = [];
    },
    logReady: () => logReady,
    stderrTail: () => stderrTail,
    pipesEnded,
    close: () => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      return { stdout: opts.stdout.close(), stderr: opts.stderr.close() };
    },
  };
}
