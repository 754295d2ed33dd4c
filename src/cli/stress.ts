// `handoff stress`: flags (merged over handoff.config.json) → typed run options → run → CI gate → reports →
// summary on stdout (with --json: the report on stdout, the summary on stderr) → GitHub annotations when on
// Actions → exit code (0 pass, 1 a check failed, 2 usage, 3 target not started; errors 2/3 are thrown as
// UsageError/TargetStartError for cli/main.ts to print).
import { join } from 'node:path';
import { gateOf, loadConfig, mergeStressInvocation } from '../config/load.js';
import type { HandoffConfig } from '../config/types.js';
import { gateFinalizer } from '../gate/apply.js';
// PROXY_FLAG_KEYS: a command target cannot take them
import { PROXY_FLAG_KEYS, parseProxyFlags, rejectInapplicableFlags, type RawProxyFlags } from '../proxy/parse-options.js';
import { parseFormats } from '../report/formats.js';
import { loadCredentials } from '../proxy/credentials.js';
import { UsageError } from '../util/errors.js';
import { EXIT } from '../model/report.js';
import { parseCount } from '../util/duration.js';
import { runStress, type RunOptions } from '../harness/run.js';
import { parseExpectStatus } from '../harness/expect-status.js';
import { parseReadyTimeout, parseRunOverrides } from '../harness/run-overrides.js';
import { loadSuite, parseSuite, suiteNames, type Suite } from '../harness/suite.js';
import { mergeProxyFlags } from '../harness/suite-target.js';
import { checkNofile } from '../harness/nofile.js';
import { parseIgnorePattern } from '../harness/ignore-pattern.js';
import { parseReadyLog, parseReadyPath } from '../harness/readiness.js';
import { canRedraw, createProgress } from './progress.js';
import { withLoadCommands } from '../harness/load/external.js';
import { parseLoadThreads, withLoadThreads } from '../harness/load/threads.js';
import { formatSummary } from './summary.js';
import type { TargetSpec } from '../harness/target.js';
import { loadForkAddon } from '../native/addon.js';
import { commandShell, type CommandIo } from './watchdog.js';
import { annotations, onGitHubActions } from '../report/annotations.js';
import type { Report } from '../model/report.js';

const kebab = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function str(flags: Record<string, unknown>, key: string): string | undefined {
  const v = flags[key];
  if (v === undefined || v === false) return undefined;
  return String(v);
}

export function resolveSuite(name: string, config: HandoffConfig | null): Suite {
  const fromConfig = config && Object.hasOwn(config.suites, name) ? config.suites[name] : undefined;
  if (fromConfig !== undefined) {
    return typeof fromConfig === 'string'
      ? { ...loadSuite(fromConfig), name }
      : parseSuite(fromConfig, `${config!.source ?? 'config'}: suites.${name}`, name);
  }
  return loadSuite(name);
}

/** CLI flags (commander's camelCase keys, string values) → run options. Throws UsageError on anything wrong. */
export function stressOptionsFromFlags(flags: Record<string, unknown>, command: string[], config: HandoffConfig | null = null): RunOptions {
  // --attach: a server already running is the target (nothing launched; --port says where it listens)
  const attachText = str(flags, 'attach');
  const attach = attachText === undefined ? undefined : parseAttach(attachText, flags, command);
  if (attach === undefined && flags.shutdown)
    throw new UsageError('--shutdown applies to --attach (a launched target is always shut down)');
  const commandTarget = command.length > 0 || attach !== undefined;
  if (commandTarget) {
    const proxyFlag = PROXY_FLAG_KEYS.find((k) => flags[k] !== undefined && !(attach && k === 'port'));
    if (proxyFlag)
      throw new UsageError(`${kebab(proxyFlag)} configures the reference proxy; it cannot be combined with a command target (-- …)`);
  } else {
    for (const k of ['pool', 'cap', 'echo', 'expectStatus', 'readyPath', 'readyLog']) {
      if (flags[k] !== undefined && flags[k] !== false)
        throw new UsageError(`${kebab(k)} applies to a command target (-- <command>); the reference proxy declares its own`);
    }
    if (flags.port !== undefined) throw new UsageError('--port: the harness picks the target port itself');
  }
  const mode = str(flags, 'mode') ?? 'proxy';
  if (mode !== 'proxy' && mode !== 'server') throw new UsageError(`invalid --mode "${mode}" (proxy or server)`);
  if (!commandTarget && mode === 'server')
    throw new UsageError('--mode server needs a command target (-- <command>): the reference proxy is a proxy');
  if (flags.echo && mode !== 'server') throw new UsageError('--echo applies to --mode server');

  const expectText = str(flags, 'expectStatus');
  const resolved = resolveSuite(str(flags, 'suite') ?? 'ci', config);
  // what the target itself answers is success: over the suite's own list
  const expected = expectText === undefined ? resolved : { ...resolved, expectStatus: parseExpectStatus(expectText, '--expect-status') };
  // --load-cmd: another load tool drives the load phase, alone or beside a named suite's generators
  const loadCmds = (Array.isArray(flags.loadCmd) ? flags.loadCmd : flags.loadCmd === undefined ? [] : [flags.loadCmd]).map(String);
  const until = str(flags, 'loadUntil');
  if (until !== undefined && until !== 'duration' && until !== 'exit')
    throw new UsageError(`invalid --load-until "${until}" (duration or exit)`);
  if (until !== undefined && loadCmds.length === 0) throw new UsageError('--load-until applies to --load-cmd');
  const threadsText = str(flags, 'loadThreads');
  const suite = withLoadThreads(
    withLoadCommands(expected, loadCmds, until, str(flags, 'suite') !== undefined),
    threadsText === undefined ? undefined : parseLoadThreads(threadsText, '--load-threads'),
  );
  const readyText = str(flags, 'readyTimeout');
  const readyTimeoutMs = readyText === undefined ? undefined : parseReadyTimeout(readyText, '--ready-timeout');
  const nofileText = str(flags, 'nofile');
  const nofile = nofileText === undefined ? suite.target?.nofile : parseCount(nofileText, '--nofile', 16);
  let target: TargetSpec;
  let strategy: string | null = null;
  let fault: string | null = null;
  if (commandTarget) {
    const pool: { resident?: number; cap?: number } = {};
    const p = str(flags, 'pool');
    const c = str(flags, 'cap');
    if (p !== undefined) pool.resident = parseCount(p, '--pool');
    if (c !== undefined) pool.cap = parseCount(c, '--cap', 1);
    if (pool.resident !== undefined && pool.cap !== undefined && pool.resident > pool.cap)
      throw new UsageError('--pool cannot exceed --cap');
    const readyPath = str(flags, 'readyPath');
    const readyLog = str(flags, 'readyLog');
    const ready = {
      ...(readyPath === undefined ? {} : { path: parseReadyPath(readyPath, '--ready-path') }),
      ...(readyLog === undefined ? {} : { log: parseReadyLog(readyLog, '--ready-log') }),
    };
    target = { kind: 'command', command, pool, nofile, readyTimeoutMs, ready, ...(attach ? { attach } : {}) };
  } else {
    const raw: RawProxyFlags = {};
    for (const k of PROXY_FLAG_KEYS) if (flags[k] !== undefined) raw[k] = String(flags[k]);
    // the suite's target options (a short timeout, a small cap) under the user's own flags
    const proxy = parseProxyFlags(mergeProxyFlags(suite.target, raw));
    rejectInapplicableFlags(proxy.strategy, raw);
    // the proxy requires them and the generators send them (passed on by environment, never argv)
    proxy.auth = loadCredentials(raw.authFile);
    if (proxy.host !== '127.0.0.1' && proxy.host !== 'localhost' && proxy.host !== '::1') {
      throw new UsageError(`--host ${proxy.host}: the harness only targets loopback`);
    }
    // known before any target starts: a usage fact (exit 2), not the target's failure to start (exit 3)
    if (proxy.strategy === 'fork') {
      const addon = loadForkAddon();
      if (!addon.ok) throw new UsageError(`--strategy fork is unavailable: ${addon.reason}`);
    }
    target = { kind: 'reference-proxy', proxy, nofile, readyTimeoutMs };
    strategy = proxy.strategy;
    fault = proxy.fault;
  }

  checkNofile(nofile, !commandTarget);
  // a pattern matching every process (`--ignore "$UNSET"`, `^`) would silently switch the checks off: refused
  const ignore = (Array.isArray(flags.ignore) ? flags.ignore : flags.ignore === undefined ? [] : [flags.ignore]).map((pattern) =>
    parseIgnorePattern(String(pattern), '--ignore'),
  );
  const {
    durationMs,
    connections,
    drainMs,
    sampleHz = 10,
    loadCapMs,
  } = parseRunOverrides({
    duration: str(flags, 'duration'),
    connections: str(flags, 'connections'),
    drain: str(flags, 'drain'),
    sampleHz: str(flags, 'sampleHz'),
    loadCap: str(flags, 'loadCap'),
  });
  return {
    target,
    mode,
    echo: flags.echo === true,
    suite,
    durationMs,
    connections,
    drainMs,
    loadCapMs,
    reportDir: str(flags, 'reportDir') ?? 'reports',
    formats: parseFormats(flags.format as string | undefined),
    strictExit: flags.strictExit === true,
    strictProtocol: flags.strictProtocol === true,
    ignore,
    sampleHz,
    strategy,
    fault,
  };
}

/** --attach <pid> --port N [--shutdown]: checked before anything runs (a usage error, exit 2). */
function parseAttach(text: string, flags: Record<string, unknown>, command: string[]): { pid: number; port: number; shutdown: boolean } {
  if (command.length > 0)
    throw new UsageError('--attach judges a server already running: it cannot be combined with a command to launch (-- …)');
  if (flags.strategy !== undefined)
    throw new UsageError('--attach judges a server already running: --strategy launches the reference proxy');
  const pid = parseCount(text, '--attach', 2);
  const portText = str(flags, 'port');
  if (portText === undefined) throw new UsageError('--attach needs --port: the port the server listens on (loopback)');
  const port = parseCount(portText, '--port', 1);
  if (port > 65535) throw new UsageError('--port must be at most 65535');
  if (flags.nofile !== undefined) throw new UsageError('--nofile applies to a target the harness launches, not to --attach');
  return { pid, port, shutdown: flags.shutdown === true };
}

/** `--suite all`: a failure outranks an inconclusive run, which outranks a pass. */
const EXIT_RANK: Record<number, number> = { [EXIT.pass]: 0, [EXIT.inconclusive]: 1, [EXIT.fail]: 2, [EXIT.interrupted]: 3 };
const worseExit = (a: number, b: number): number => ((EXIT_RANK[b] ?? 3) > (EXIT_RANK[a] ?? 3) ? b : a);

export async function runStressCommand(cliFlags: Record<string, unknown>, cliCommand: string[], io: CommandIo = {}): Promise<number> {
  return commandShell(io, async (out, err) => {
    const config = loadConfig(cliFlags.config as string | undefined);
    const { flags, command } = mergeStressInvocation(config, cliFlags, cliCommand);
    // `--suite all`: every suite of stress/ in turn; the exit code is the worst of them
    const all = flags.suite === 'all';
    const suites = all ? suiteNames() : [str(flags, 'suite')];
    // --json: stdout carries the report(s) and nothing else; what a person reads goes to stderr
    const json = cliFlags.json === true;
    const human = json ? err : out;
    const reports: Report[] = [];
    let worst = 0;
    for (const name of suites) {
      const options = stressOptionsFromFlags(name === undefined ? flags : { ...flags, suite: name }, command, config);
      const gate = gateOf(config);
      options.finalize = gateFinalizer(gate);
      // what must be seen even with --quiet (the latest pointer not updated, a failed start's record)
      options.warn = (m) => err(`handoff: warning: ${m}\n`);
      const progress = flags.quiet
        ? null
        : createProgress({ write: err, tty: !io.stderr && canRedraw(process.stderr), columns: process.stderr.columns });
      if (progress) {
        options.log = progress.log;
        options.progress = progress;
        if (suites.length > 1) progress.log(`suite ${options.suite.name}`);
      }
      const result = await runStress(options).finally(() => progress?.stop());
      human(formatSummary(result.report, join(result.runDir, 'report.json')));
      // the runner reads workflow commands from the step's output
      if (onGitHubActions()) for (const line of annotations(result.report)) human(`${line}\n`);
      reports.push(result.report);
      worst = worseExit(worst, result.report.exitCode);
      // an interrupted run stops `--suite all` too
      if (result.report.verdict === 'interrupted') break;
    }
    // `--suite all`: an array of reports, one per suite run (an interruption ends it early)
    if (json) out(`${JSON.stringify(all ? reports : reports[0], null, 2)}\n`);
    return worst;
  });
}
