// Validates a parsed handoff.config.json (pure). Unknown keys anywhere are a UsageError naming the key:
// a misspelt "tresholds" must not silently disable a gate.
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { parseCount, parseDuration } from '../util/duration.js';
import { parseExpectStatus } from '../harness/expect-status.js';
import { parseReadyTimeout, parseRunOverrides, type RunOverrideKey } from '../harness/run-overrides.js';
import { parseProxyFlags, type RawProxyFlags } from '../proxy/parse-options.js';
import { proxyFlagKeysFor, proxyOptionRow } from '../proxy/option-table.js';
import { parseFormats } from '../report/formats.js';
import { parseThresholds } from '../gate/thresholds.js';
import { parseAllowList } from '../gate/allow-list.js';
import { parseIgnorePattern } from '../harness/ignore-pattern.js';
import { parseReadyLog, parseReadyPath } from '../harness/readiness.js';
import { parseLoadThreads } from '../harness/load/threads.js';
import type { HandoffConfig, StressFlags } from './types.js';

export const TOP_KEYS = ['$schema', 'suite', 'suites', 'target', 'run', 'report', 'thresholds', 'ignores', 'allowList', 'exec'] as const;
export const EXEC_KEYS = ['command', 'grace', 'timeout'] as const;
/** keys of `target` that are reference-proxy options, as in `handoff serve` (camelCase): the rows of
 * proxy/option-table.ts marked `config` (all but port, which the harness picks) */
export const PROXY_KEYS = proxyFlagKeysFor('config');
export const COMMAND_TARGET_KEYS = [
  'command',
  'mode',
  'echo',
  'expectStatus',
  'strictExit',
  'strictProtocol',
  'pool',
  'cap',
  'nofile',
  'readyTimeout',
  'readyPath',
  'readyLog',
  'attach',
  'port',
  'shutdown',
] as const;
export const RUN_KEYS = ['duration', 'connections', 'drain', 'sampleHz', 'loadCap'] as const;
/** run keys that are not suite overrides: an external load tool (--load-cmd, --load-until) */
export const LOAD_CMD_KEYS = ['loadCmd', 'loadUntil'] as const;
/** run keys that shape the generators rather than override the suite: --load-threads */
export const LOAD_THREAD_KEYS = ['loadThreads'] as const;
export const REPORT_KEYS = ['dir', 'formats'] as const;

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function objectAt(value: unknown, where: string, allowed: readonly string[]): Obj {
  if (!isObject(value)) throw new UsageError(`${where}: expected an object`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new UsageError(`${where}: unknown key "${key}" (expected one of ${allowed.join(', ')})`);
  }
  return value;
}

/** A scalar option as the CLI string it stands for. */
function scalar(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new UsageError(`${where}: expected a string or a number, got ${JSON.stringify(value)}`);
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new UsageError(`${where}: expected true or false, got ${JSON.stringify(value)}`);
  return value;
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new UsageError(`${where}: expected a list of strings`);
  return value as string[];
}

function parseTarget(raw: unknown, where: string): { flags: StressFlags; command: string[] | null } {
  const target = objectAt(raw, where, [...PROXY_KEYS, ...COMMAND_TARGET_KEYS]);
  const flags: StressFlags = {};
  const proxy: RawProxyFlags = {};
  for (const key of PROXY_KEYS) {
    if (target[key] === undefined) continue;
    // a list option (connectPorts: [443, 8443]) may hold numbers as JSON writes them, like any scalar option
    // a switch (public) is a JSON boolean ("true"/"false", as the schema once said, still read)
    const isSwitch = proxyOptionRow(key).value === null;
    const value = Array.isArray(target[key])
      ? (target[key] as unknown[]).map((v, i) => scalar(v, `${where}.${key}[${i}]`)).join(',')
      : isSwitch
        ? String(target[key] === 'true' || target[key] === 'false' ? target[key] : bool(target[key], `${where}.${key}`))
        : scalar(target[key], `${where}.${key}`);
    proxy[key] = value;
    flags[key] = value;
  }
  try {
    parseProxyFlags(proxy); // the same validation `handoff serve` applies, reported against the config
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${where}: ${err.message}`);
    throw err;
  }
  let command: string[] | null = null;
  if (target.command !== undefined) {
    command =
      typeof target.command === 'string' ? target.command.split(/\s+/).filter(Boolean) : stringList(target.command, `${where}.command`);
    if (!command.length) throw new UsageError(`${where}.command: empty`);
    if (target.strategy !== undefined)
      throw new UsageError(`${where}: give either "strategy" (the reference proxy) or "command", not both`);
  }
  if (target.mode !== undefined) {
    if (target.mode !== 'proxy' && target.mode !== 'server')
      throw new UsageError(`${where}.mode: expected "proxy" or "server", got ${JSON.stringify(target.mode)}`);
    flags.mode = target.mode;
  }
  if (target.echo !== undefined) flags.echo = bool(target.echo, `${where}.echo`);
  if (target.expectStatus !== undefined) {
    const v = target.expectStatus;
    const list =
      typeof v === 'string' || typeof v === 'number'
        ? String(v)
        : Array.isArray(v) && v.every((s) => typeof s === 'string' || typeof s === 'number')
          ? v.join(',')
          : null;
    if (list === null) throw new UsageError(`${where}.expectStatus: expected a list of statuses like [200, 404, "3xx"]`);
    parseExpectStatus(list, `${where}.expectStatus`);
    flags.expectStatus = list;
  }
  // --attach: a server already running (pid) on port; shutdown: judge its SIGTERM too
  if (target.attach !== undefined) {
    if (command || target.strategy !== undefined)
      throw new UsageError(`${where}: "attach" judges a server already running: no "command" or "strategy" with it`);
    if (target.port === undefined) throw new UsageError(`${where}: "attach" needs "port", the port the server listens on`);
    flags.attach = scalar(target.attach, `${where}.attach`);
    flags.port = scalar(target.port, `${where}.port`);
    parseCount(flags.attach, `${where}.attach`, 2);
    parseCount(flags.port, `${where}.port`, 1);
  } else if (target.port !== undefined || target.shutdown !== undefined) {
    throw new UsageError(`${where}: "port" and "shutdown" apply to "attach" (a launched target's port is picked by the harness)`);
  }
  if (target.shutdown !== undefined) flags.shutdown = bool(target.shutdown, `${where}.shutdown`);
  if (target.strictExit !== undefined) flags.strictExit = bool(target.strictExit, `${where}.strictExit`);
  if (target.strictProtocol !== undefined) flags.strictProtocol = bool(target.strictProtocol, `${where}.strictProtocol`);
  if (target.readyTimeout !== undefined) {
    const value = scalar(target.readyTimeout, `${where}.readyTimeout`);
    parseReadyTimeout(value, `${where}.readyTimeout`);
    flags.readyTimeout = value;
  }
  if (target.readyPath !== undefined) {
    if (typeof target.readyPath !== 'string') throw new UsageError(`${where}.readyPath: expected a path like "/healthz"`);
    flags.readyPath = parseReadyPath(target.readyPath, `${where}.readyPath`);
  }
  if (target.readyLog !== undefined) {
    if (typeof target.readyLog !== 'string') throw new UsageError(`${where}.readyLog: expected a regular expression`);
    parseReadyLog(target.readyLog, `${where}.readyLog`);
    flags.readyLog = target.readyLog;
  }
  for (const key of ['pool', 'cap', 'nofile'] as const) {
    if (target[key] === undefined) continue;
    const value = scalar(target[key], `${where}.${key}`);
    parseCount(value, `${where}.${key}`, key === 'pool' ? 0 : 1);
    flags[key] = value;
  }
  return { flags, command };
}

function parseRun(raw: unknown, where: string): StressFlags {
  const run = objectAt(raw, where, [...RUN_KEYS, ...LOAD_CMD_KEYS, ...LOAD_THREAD_KEYS]);
  const flags: StressFlags = {};
  const keys = RUN_KEYS;
  for (const key of keys) if (run[key] !== undefined) flags[key] = scalar(run[key], `${where}.${key}`);
  if (run.loadCmd !== undefined)
    flags.loadCmd = typeof run.loadCmd === 'string' ? [run.loadCmd] : stringList(run.loadCmd, `${where}.loadCmd`);
  if (run.loadUntil !== undefined) {
    if (run.loadUntil !== 'duration' && run.loadUntil !== 'exit') throw new UsageError(`${where}.loadUntil: expected "duration" or "exit"`);
    flags.loadUntil = run.loadUntil;
  }
  if (run.loadThreads !== undefined) {
    const text = scalar(run.loadThreads, `${where}.loadThreads`);
    parseLoadThreads(text, `${where}.loadThreads`);
    flags.loadThreads = text;
  }
  // the flags' own bounds, named as the config spells them
  parseRunOverrides(
    flags as Partial<Record<RunOverrideKey, string>>,
    Object.fromEntries(keys.map((k) => [k, `${where}.${k}`])) as Record<RunOverrideKey, string>,
  );
  return flags;
}

function parseSuites(raw: unknown, where: string, baseDir: string): HandoffConfig['suites'] {
  if (!isObject(raw)) throw new UsageError(`${where}: expected an object of suite name → file path or suite definition`);
  const out: HandoffConfig['suites'] = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`${where}: invalid suite name "${name}" (letters, digits, _ . -)`);
    if (typeof value === 'string') out[name] = isAbsolute(value) ? value : resolve(baseDir, value);
    else if (isObject(value)) out[name] = value;
    else throw new UsageError(`${where}.${name}: expected a file path or a suite object`);
  }
  return out;
}

/**
 * Validates a config object. `source` names it in messages; relative paths (suite files, report dir)
 * are resolved against `baseDir` (the config file's directory).
 */
export function parseConfig(raw: unknown, source: string, baseDir: string): HandoffConfig {
  const top = objectAt(raw, source, TOP_KEYS);
  const config: HandoffConfig = {
    source: null,
    suite: null,
    suites: {},
    targetFlags: {},
    command: null,
    runFlags: {},
    report: { dir: null, formats: null },
    thresholds: [],
    ignores: [],
    allowList: [],
    exec: { command: null, grace: null, timeout: null },
  };
  if (top.suite !== undefined) {
    if (typeof top.suite !== 'string' || !top.suite) throw new UsageError(`${source}: suite: expected a suite name or file`);
    config.suite = top.suite;
  }
  if (top.suites !== undefined) config.suites = parseSuites(top.suites, `${source}: suites`, baseDir);
  if (top.target !== undefined) {
    const { flags, command } = parseTarget(top.target, `${source}: target`);
    config.targetFlags = flags;
    config.command = command;
  }
  if (top.run !== undefined) config.runFlags = parseRun(top.run, `${source}: run`);
  if (top.report !== undefined) {
    const report = objectAt(top.report, `${source}: report`, REPORT_KEYS);
    if (report.dir !== undefined) {
      if (typeof report.dir !== 'string' || !report.dir) throw new UsageError(`${source}: report.dir: expected a directory path`);
      config.report.dir = resolve(baseDir, report.dir);
    }
    if (report.formats !== undefined) {
      const list = typeof report.formats === 'string' ? report.formats : stringList(report.formats, `${source}: report.formats`);
      try {
        config.report.formats = parseFormats(list);
      } catch (err) {
        throw new UsageError(`${source}: report.formats: ${(err as Error).message}`);
      }
    }
  }
  config.thresholds = parseThresholds(top.thresholds, `${source}: thresholds`);
  if (top.ignores !== undefined) {
    config.ignores = stringList(top.ignores, `${source}: ignores`);
    for (const [i, pattern] of config.ignores.entries()) parseIgnorePattern(pattern, `${source}: ignores[${i}]`);
  }
  config.allowList = parseAllowList(top.allowList, `${source}: allowList`);
  if (top.exec !== undefined) {
    const exec = objectAt(top.exec, `${source}: exec`, EXEC_KEYS);
    if (exec.command !== undefined) {
      config.exec.command =
        typeof exec.command === 'string' ? exec.command.split(/\s+/).filter(Boolean) : stringList(exec.command, `${source}: exec.command`);
      if (!config.exec.command.length) throw new UsageError(`${source}: exec.command: empty`);
    }
    if (exec.grace !== undefined) {
      config.exec.grace = scalar(exec.grace, `${source}: exec.grace`);
      parseDuration(config.exec.grace, `${source}: exec.grace`);
    }
    if (exec.timeout !== undefined) {
      config.exec.timeout = scalar(exec.timeout, `${source}: exec.timeout`);
      parseDuration(config.exec.timeout, `${source}: exec.timeout`, 1);
    }
  }
  return config;
}
