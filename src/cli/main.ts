#!/usr/bin/env node
// handoff: serve | stress | compare | report | allowlist | build-native. Commands load their modules lazily so `serve` (which
// runs inside every target) never pays for the harness.
import { Command, CommanderError } from 'commander';
import { ReportWriteError, UsageError, TargetStartError } from '../util/errors.js';
import { proxyFlags } from './proxy-flags.js';
import { version } from '../version.js';
import { neutralizeControls } from '../util/terminal.js';
import { suiteNames } from '../harness/suite-names.js';
import { stressHelp } from './stress-help.js';

const program = new Command()
  .name('handoff')
  .description('Load-testing harness and reference forward proxy for process-cleanup correctness')
  .version(version)
  .exitOverride()
  .addHelpText(
    'after',
    `
Exit codes: 0 pass · 1 a check failed · 2 usage or config error · 3 the target never started · 4 inconclusive ·
  70 internal error of handoff (a bug) · 74 a report could not be written · 130 interrupted.
\`handoff stress --help\` has examples, the suites and the HANDOFF_* environment variables.`,
  )
  // commander's own errors ("error: unknown option …") read like every other usage error: `handoff: …`, exit 2
  .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(`handoff: ${s.replace(/^error: /, '')}`) });

proxyFlags(program.command('serve').description('run the reference forward proxy')).action(async (flags) => {
  const { parseProxyFlags, rejectInapplicableFlags } = await import('../proxy/parse-options.js');
  const { serve } = await import('../proxy/serve.js');
  const { loadCredentials } = await import('../proxy/credentials.js');
  const options = parseProxyFlags(flags);
  rejectInapplicableFlags(options.strategy, flags);
  options.auth = loadCredentials(flags.authFile);
  await serve(options);
});

proxyFlags(
  program
    .command('stress')
    .description('launch a target, load it, watch it from /proc and decide whether it cleans up')
    .argument('[command...]', 'any server command instead of the reference proxy ({port} is replaced)'),
)
  .option('--suite <name|file>', 'stress suite name or JSON file (default ci)')
  .option(
    '--load-cmd <command>',
    'another load tool drives the load phase, e.g. "wrk -d{duration}s {url}" ({port} {host} {url} {origin} {duration} {connections}; repeatable); alone unless --suite is named too',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option(
    '--attach <pid>',
    'judge a server already running (started by something else) as the target; needs --port, the port it listens on',
  )
  .option(
    '--shutdown',
    '--attach: run the shutdown phase (SIGTERM, judged by clean-shutdown); without it the server is left running, untouched',
  )
  .option('--load-until <when>', '--load-cmd: duration (default: stopped at the end of the load phase) or exit (waited for, up to 10m)')
  .option('--mode <mode>', 'proxy (default) or server')
  .option('--duration <dur>', 'load duration (overrides the suite)')
  .option('--connections <n>', 'load concurrency (overrides the suite)')
  .option(
    '--load-threads <n>',
    'worker threads of each churn and flood generator, the connections shared among them (overrides the suite\'s "threads"; default: half the cores, at least 1)',
  )
  .option('--drain <dur>', 'drain deadline (default 5s)')
  .option(
    '--load-cap <dur>',
    "how long the load may go on, in rounds, to reach the evidence floor (default: the suite's loadCap, 30s; 0: one round)",
  )
  .option('--report-dir <dir>', 'where run directories go (default reports)')
  .option('--format <list>', 'json,md,html,junit (json is always written)')
  .option(
    '--config <file>',
    'handoff.config.json with suites, target, thresholds, ignores (default: $HANDOFF_CONFIG, else the nearest handoff.config.json from here up to the repository root)',
  )
  .option('--echo', 'server mode: the target echoes the request path, so tokens are checked')
  .option('--expect-status <list>', 'command target: statuses that count as success, e.g. 200,404 or 2xx,3xx (default 2xx)')
  .option('--strict-exit', 'clean-shutdown demands exit code 0')
  .option(
    '--strict-protocol',
    "a command target's answers to abusive cases and failed origins count against the error budget (default: reported apart as protocol findings)",
  )
  .option('--pool <n>', 'command target: children it may keep at rest')
  .option('--cap <n>', 'command target: most live children it may have')
  // one pattern per use: a variadic option would swallow a target command written without `--`
  .option('--ignore <regex>', 'ignore processes whose cmdline matches (infrastructure; repeatable)', (v: string, prev: string[] = []) => [
    ...prev,
    v,
  ])
  .option('--sample-hz <n>', 'sampler frequency (default 10)')
  .option('--nofile <n>', 'start the target under this descriptor limit (prlimit)')
  .option('--ready-timeout <dur>', 'how long the target may take to accept connections (default 15s)')
  .option('--ready-path <path>', 'command target: ready once GET <path> answers 2xx (e.g. /healthz), within --ready-timeout')
  .option('--ready-log <regex>', 'command target: ready once a line of its stdout or stderr matches, within --ready-timeout')
  .option('--quiet', 'no progress output')
  .option('--json', 'print the report (schema/report.schema.json; --suite all: an array of them) on stdout, the summary on stderr')
  // a function: the suite names are read when help is shown, not on every start of `serve`
  .addHelpText('after', () => stressHelp(suiteNames()))
  .action(async (command: string[], flags) => {
    if (await superviseHarness()) return;
    const { runStressCommand } = await import('./stress.js');
    await adoptOrphansOfTargets();
    process.exitCode = await runStressCommand(flags, command);
    // an interrupted run leaves waits of its abandoned phase behind: nothing of them matters any more
    if (process.exitCode === 130) process.exit(130);
  });

/**
 * This process runs targets and nothing else: orphans of their trees come to it (subreaper.ts), so a daemon that
 * dropped the run's marker is still found, reported and killed. Without the native addon: the marker alone.
 */
async function adoptOrphansOfTargets(): Promise<void> {
  const { becomeSubreaper } = await import('../harness/subreaper.js');
  const { connectToSupervisor } = await import('../harness/supervisor.js');
  const off = becomeSubreaper();
  // one line, never silent: without adoption a daemon that drops the run's marker cannot be found
  if (off) process.stderr.write(`handoff: orphan adoption is off (${off}); only processes carrying the run marker are found\n`);
  connectToSupervisor();
}

/**
 * The first process of `stress` / `compare` becomes the supervisor (harness/supervisor.ts) and runs the harness
 * as its child; true when it did (the exit code is set), false when this process is the harness.
 */
async function superviseHarness(): Promise<boolean> {
  const { superviseHarness: supervise } = await import('../harness/supervisor.js');
  const code = await supervise();
  if (code === null) return false;
  // nothing of the supervisor's may keep it alive once the harness is gone
  process.exit(code);
}

program
  .command('exec')
  .description('a leak gate for any command (a test suite, a build): run it watched, no load, and judge what it left behind')
  .argument('[command...]', 'the command and its arguments, after --')
  .option('--grace <dur>', 'how long its descendants may take to exit after the command did (default 1s)')
  .option('--zombie-bound <dur>', 'a zombie reaped later than this while the command ran fails no-zombies (default 3s)')
  .option(
    '--timeout <dur>',
    'SIGTERM the command (its root only) after this long, SIGKILL 5s later: a failure of the command, and what it left is still judged',
  )
  .option('--report-dir <dir>', 'where run directories go (default reports)')
  .option('--format <list>', 'json,md,html,junit (json is always written)')
  .option('--config <file>', 'handoff.config.json: its exec section, report settings, ignores, thresholds and allow-list')
  .option(
    '--ignore <regex>',
    'ignore processes whose cmdline matches (repeatable; never spared by the cleanup)',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option('--sample-hz <n>', 'sampler frequency (default 10)')
  .option('--quiet', 'no progress lines')
  .addHelpText(
    'after',
    `
Judged once the command exits (after --grace): no-orphans (a process of it still alive: it carries the run marker
  or was reparented to handoff), no-zombies, sockets-drained (a TCP socket, listening or connected, held by such a
  process). Everything it left is killed (by pid and start time) after the verdict. docs/exec.md.
Exit codes: 0 nothing left and the command passed · 1 a leak (whatever the command's own status) · 5 nothing left
  but the command failed (its status is in the summary and report.exec) · 2 usage · 3 the command could not be
  started · 70 internal error · 74 the report could not be written · 130 interrupted
Example: handoff exec --format junit -- node --test`,
  )
  .action(async (command: string[], flags) => {
    if (await superviseHarness()) return;
    const { runExecCommand } = await import('./exec.js');
    await adoptOrphansOfTargets();
    process.exitCode = await runExecCommand(flags, command);
    if (process.exitCode === 130) process.exit(130);
  });

program
  .command('compare')
  .description('run the same suite on several targets and compare them')
  .option('--suite <name|file>', 'stress suite (default ci)')
  .option('--strategy <list>', 'comma-separated strategies of the reference proxy')
  .option('--cmd <command>', 'a command target, one quoted string (repeatable; {port} is replaced)', (v: string, prev: string[] = []) => [
    ...prev,
    v,
  ])
  .option('--repeat <n>', 'interleaved repetitions; medians are reported (default 1)')
  .option('--duration <dur>', 'load duration (overrides the suite)')
  .option('--connections <n>', 'load concurrency (overrides the suite)')
  .option('--drain <dur>', "drain deadline (default: the suite's)")
  .option('--mode <mode>', 'proxy (default) or server (command targets only)')
  .option('--echo', 'server mode: the targets echo the request path, so tokens are checked')
  .option('--expect-status <list>', 'command targets: statuses that count as success, e.g. 200,404 or 2xx,3xx (default 2xx)')
  .option('--ready-timeout <dur>', 'how long each target may take to accept connections (default 15s)')
  .option('--ready-path <path>', 'command targets: ready once GET <path> answers 2xx (e.g. /healthz)')
  .option('--ready-log <regex>', 'command targets: ready once a line of their stdout or stderr matches')
  .option('--report-dir <dir>', 'where the comparison goes (default reports)')
  .option('--format <list>', 'json,md,html')
  .option(
    '--config <file>',
    'handoff.config.json: its suites, run settings, ignores, thresholds and allow-list apply to every run (default: $HANDOFF_CONFIG, else the nearest handoff.config.json up to the repository root)',
  )
  .option('--quiet', 'no progress output')
  .option('--json', 'print the comparison (comparison.json) on stdout, the summary on stderr')
  .action(async (flags) => {
    if (await superviseHarness()) return;
    const { runCompareCommand } = await import('./compare.js');
    await adoptOrphansOfTargets();
    process.exitCode = await runCompareCommand(flags);
    if (process.exitCode === 130) process.exit(130);
  });

program
  .command('build-native')
  .description('build the native addon (--strategy fork, orphan adoption) where install scripts did not run')
  .action(async () => {
    const { buildNative } = await import('./build-native.js');
    process.exitCode = buildNative();
  });

program
  .command('allowlist')
  .description("allow-list entries that waive a run's failing checks until a date: printed, or merged into the config with --write")
  .requiredOption('--from <run-dir>', 'the run whose failures to waive, e.g. reports/latest')
  .requiredOption('--expires <date>', 'YYYY-MM-DD (valid through that day, UTC) or an ISO timestamp; the run fails once it passes')
  .requiredOption('--reason <text>', 'why, and who fixes it (a ticket)')
  .option(
    '--write',
    'merge them into the config file (--config, $HANDOFF_CONFIG, the nearest handoff.config.json, else ./handoff.config.json)',
  )
  .option('--config <file>', 'the config file --write merges into')
  .action(async (flags) => {
    const { allowlistCommand } = await import('./allowlist.js');
    process.exitCode = await allowlistCommand(flags);
  });

program
  .command('report')
  .description('re-render the reports of a run directory from its report.json')
  .argument('<run-dir>', 'e.g. reports/<run-id>')
  .option('--format <list>', 'md,html,junit (default all)')
  .action(async (dir: string, flags) => {
    const { rerenderCommand } = await import('../report/rerender.js');
    process.exitCode = await rerenderCommand(dir, flags);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version are "errors" with exit code 0
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof UsageError) {
    process.stderr.write(`handoff: ${err.message}\n`);
    process.exitCode = 2;
  } else if (err instanceof TargetStartError) {
    process.stderr.write(`handoff: ${err.message}\n`);
    // the target's own bytes: escape sequences neutralized before they reach a terminal
    if (err.context.stderr) process.stderr.write(`${neutralizeControls(err.context.stderr.replace(/\n$/, '')).replace(/^/gm, '  | ')}\n`);
    if (err.record) process.stderr.write(`handoff: recorded in ${err.record.dir} (${err.record.files.join(', ')})\n`);
    process.exitCode = 3;
  } else if (err instanceof ReportWriteError) {
    process.stderr.write(`handoff: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`handoff: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  }
}
