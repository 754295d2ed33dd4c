// `exec(options)`: what `handoff exec -- <command…>` runs, from code — the command watched with the run marker and
// the subreaper, no load, judged on what it left behind once it exited. The options are read as a
// handoff.config.json would be (the same validation, the key named), with the config file under them.
import type { RunGateOptions } from './options.js';
import { resolve } from 'node:path';
import { gateOf, loadConfig } from '../config/load.js';
import { parseConfig } from '../config/parse.js';
import type { HandoffConfig } from '../config/types.js';
import { execOptionsFromFlags } from '../cli/exec.js';
import { gateFinalizer } from '../gate/apply.js';
import { runExec } from '../harness/exec.js';
import { becomeSubreaper } from '../harness/subreaper.js';
import type { ExecOutcome } from '../model/report.js';
import type { Duration, StressResult } from './stress.js';

export interface ExecOptions extends RunGateOptions {
  /** the command: an argv array, or one string split on whitespace (no shell) */
  command: string | readonly string[];
  /** how long its descendants may take to exit after it did (default 1 s) */
  grace?: Duration;
  /** SIGTERM the command (its root) after this long, SIGKILL 5 s later; what it left is still judged */
  timeout?: Duration;
  /** a zombie reaped later than this while it ran fails no-zombies (default 3 s) */
  zombieBound?: Duration;
  sampleHz?: number;
  /** the command's output as it comes (it is kept in the run directory either way) */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

export interface ExecResult extends StressResult {
  /** the command's own outcome, apart from the leak verdict (`passed` is false when either fails) */
  command: ExecOutcome;
}

const ms = (d: Duration | undefined): string | undefined => (d === undefined ? undefined : typeof d === 'number' ? `${d}ms` : d);

export async function exec(options: ExecOptions): Promise<ExecResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const grace = ms(options.grace);
  const timeout = ms(options.timeout);
  const own = parseConfig(
    {
      exec: { command: options.command, ...(grace !== undefined ? { grace } : {}), ...(timeout !== undefined ? { timeout } : {}) },
      ...(options.thresholds ? { thresholds: options.thresholds } : {}),
      ...(options.allowList ? { allowList: options.allowList } : {}),
      ...(options.ignores ? { ignores: options.ignores } : {}),
      ...(options.reportDir || options.formats
        ? { report: { ...(options.reportDir ? { dir: options.reportDir } : {}), ...(options.formats ? { formats: options.formats } : {}) } }
        : {}),
    },
    'exec()',
    cwd,
  );
  const file = options.config === false ? parseConfig({}, 'exec()', cwd) : loadConfig(options.config, cwd);
  const merged: HandoffConfig = {
    ...file,
    exec: { command: own.exec.command, grace: own.exec.grace ?? file.exec.grace, timeout: own.exec.timeout ?? file.exec.timeout },
    ignores: [...file.ignores, ...own.ignores],
    report: {
      dir: own.report.dir ?? file.report.dir ?? resolve(cwd, 'reports'),
      formats: own.report.formats ?? file.report.formats ?? ['json'],
    },
  };
  const flags: Record<string, unknown> = {
    zombieBound: ms(options.zombieBound),
    sampleHz: options.sampleHz === undefined ? undefined : String(options.sampleHz),
  };
  const runOptions = execOptionsFromFlags(flags, [], merged);
  const gate = gateOf(merged);
  gate.thresholds = [...gate.thresholds, ...own.thresholds];
  gate.allowList = [...gate.allowList, ...own.allowList];
  runOptions.finalize = gateFinalizer(gate);
  runOptions.cwd = cwd;
  if (options.onOutput) runOptions.onOutput = options.onOutput;
  if (options.log) runOptions.log = options.log;
  if (options.adoptOrphans ?? true) becomeSubreaper();
  const { report, runDir, reportPaths } = await runExec(runOptions);
  return {
    verdict: report.verdict,
    exitCode: report.exitCode,
    passed: report.exitCode === 0,
    failures: report.checks.filter((c) => !c.pass && !c.allowedBy),
    report,
    runDir,
    reportPaths,
    command: report.exec ?? { code: null, signal: null, durationMs: 0, failed: true, graceMs: 0 },
  };
}
