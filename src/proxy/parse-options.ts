// CLI strings → ProxyOptions, with one clear UsageError per bad value.
import { DEFAULT_PROXY_OPTIONS, FAULTS, STRATEGIES, type FaultName, type ProxyOptions, type StrategyName } from './options.js';
import { UsageError } from '../util/errors.js';
import { parseCount, parseDuration } from '../util/duration.js';
import { AUTH_ENV } from './credentials.js';

export interface RawProxyFlags {
  strategy?: string;
  port?: string;
  host?: string;
  handoff?: string;
  spares?: string;
  maxChildren?: string;
  workers?: string;
  maxConnectionsPerChild?: string;
  fault?: string;
  faultRate?: string;
  allowHost?: string;
  connectPorts?: string;
  /** refused: a password on the command line (credentials.ts says how they are passed) */
  auth?: string;
  /** a 0600 file holding user:pass (read by credentials.ts, not here) */
  authFile?: string;
  /** bind a non-loopback --host on purpose (commander gives true) */
  public?: string | boolean;
  upstreamTimeout?: string;
  headersTimeout?: string;
  keepAliveTimeout?: string;
  maxBody?: string;
  maxHeaderSize?: string;
  shutdownGrace?: string;
  childLinger?: string;
  tunnelIdleTimeout?: string;
}

/** Every flag of `handoff serve` that configures the reference proxy (camelCase), in --help order. */
export const PROXY_FLAG_KEYS: readonly (keyof RawProxyFlags)[] = [
  'strategy', 'port', 'host', 'handoff', 'spares', 'maxChildren', 'workers', 'maxConnectionsPerChild', 'fault', 'faultRate', 'allowHost',
  'connectPorts', 'auth', 'authFile', 'public', 'upstreamTimeout', 'headersTimeout', 'keepAliveTimeout', 'maxBody', 'maxHeaderSize', 'shutdownGrace',
  'childLinger', 'tunnelIdleTimeout',
];

/**
 * Most processes a strategy may start eagerly (prefork/cluster workers, warm spares): each is a Node
 * process (~40 MB, ~60 ms of CPU to boot), so anything larger is a typo, not a configuration.
 */
export const MAX_EAGER_PROCESSES = 256;

/**
 * Most live children a cap may allow: each is a process (a Node one, 40 MB, for per-connection); beyond this a
 * cap no longer protects the machine, it is a typo.
 */
export const MAX_CHILDREN = 4096;

/** parseCount with an upper bound: one usage line naming the range. */
function parseBounded(text: string, what: string, min: number, max: number): number {
  const n = parseCount(text, what, min);
  if (n > max) throw new UsageError(`invalid ${what} "${text}" (expected an integer from ${min} to ${max})`);
  return n;
}

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

export function parseProxyFlags(raw: RawProxyFlags): ProxyOptions {
  const o: ProxyOptions = { ...DEFAULT_PROXY_OPTIONS };
  if (raw.strategy !== undefined) {
    if (!(STRATEGIES as readonly string[]).includes(raw.strategy)) {
      throw new UsageError(`unknown strategy "${raw.strategy}" (expected one of ${STRATEGIES.join(', ')})`);
    }
    o.strategy = raw.strategy as StrategyName;
  }
  if (raw.fault !== undefined) {
    if (!(FAULTS as readonly string[]).includes(raw.fault)) {
      throw new UsageError(`unknown fault "${raw.fault}" (expected one of ${FAULTS.join(', ')})`);
    }
    o.fault = raw.fault as FaultName;
  }
  if (raw.faultRate !== undefined) o.faultRate = parseFaultRate(raw.faultRate, o.fault);
  if (raw.port !== undefined) {
    o.port = parseCount(raw.port, 'port');
    if (o.port > 65535) throw new UsageError(`invalid port "${raw.port}"`);
  }
  if (raw.host !== undefined) o.host = raw.host;
  if (raw.handoff !== undefined) {
    if (raw.handoff !== 'ipc' && raw.handoff !== 'stdio') throw new UsageError(`invalid --handoff "${raw.handoff}" (ipc or stdio)`);
    o.handoff = raw.handoff;
  }
  if (raw.spares !== undefined) o.spares = parseBounded(raw.spares, '--spares', 0, MAX_EAGER_PROCESSES);
  if (raw.maxChildren !== undefined) o.maxChildren = parseBounded(raw.maxChildren, '--max-children', 1, MAX_CHILDREN);
  if (raw.workers !== undefined) o.workers = parseBounded(raw.workers, '--workers', 1, MAX_EAGER_PROCESSES);
  if (raw.maxConnectionsPerChild !== undefined) o.maxConnectionsPerChild = parseCount(raw.maxConnectionsPerChild, '--max-connections-per-child');
  if (raw.allowHost !== undefined) o.allowHosts = list(raw.allowHost);
  if (raw.connectPorts !== undefined) {
    if (list(raw.connectPorts).length === 0) throw new UsageError(`invalid --connect-ports "${raw.connectPorts}" (expected a comma-separated list of ports)`);
    o.connectPorts = list(raw.connectPorts).map((p) => {
      const n = parseCount(p, '--connect-ports entry', 1);
      if (n > 65535) throw new UsageError(`invalid --connect-ports entry "${p}"`);
      return n;
    });
  }
  if (raw.auth !== undefined) {
    throw new UsageError(`--auth would put the password on the command line (ps, shell history): set ${AUTH_ENV}=user:pass or use --auth-file <file> (mode 0600)`);
  }
  if (raw.public !== undefined) o.public = raw.public === true || raw.public === 'true';
  // a deadline of 0 would fire at once (every request a 504): at least 1 ms
  if (raw.upstreamTimeout !== undefined) o.upstreamTimeoutMs = parseDuration(raw.upstreamTimeout, '--upstream-timeout', 1);
  if (raw.headersTimeout !== undefined) o.headersTimeoutMs = parseDuration(raw.headersTimeout, '--headers-timeout', 1);
  // 0 would mean "never" to node:http (idle connections held forever), not "at once": at least 1 ms
  if (raw.keepAliveTimeout !== undefined) o.keepAliveTimeoutMs = parseDuration(raw.keepAliveTimeout, '--keep-alive-timeout', 1);
  if (raw.maxBody !== undefined) o.maxBodyBytes = parseCount(raw.maxBody, '--max-body');
  if (raw.maxHeaderSize !== undefined) o.maxHeaderSize = parseCount(raw.maxHeaderSize, '--max-header-size', 1024);
  if (raw.shutdownGrace !== undefined) o.shutdownGraceMs = parseDuration(raw.shutdownGrace, '--shutdown-grace');
  if (raw.childLinger !== undefined) o.childLingerMs = parseDuration(raw.childLinger, '--child-linger');
  if (raw.tunnelIdleTimeout !== undefined) o.tunnelIdleTimeoutMs = parseDuration(raw.tunnelIdleTimeout, '--tunnel-idle-timeout', 1);
  assertSparesWithinCap(o);
  return o;
}

/** --fault-rate: a share in (0, 1]; meaningless without a fault. */
function parseFaultRate(text: string, fault: FaultName | null): number {
  const rate = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(rate > 0 && rate <= 1)) throw new UsageError(`invalid --fault-rate "${text}" (expected a share of connections, 0 < rate <= 1)`);
  if (fault === null) throw new UsageError('--fault-rate needs --fault');
  return rate;
}

/**
 * --spares may not exceed --max-children for the strategies that take both. fork counts spares toward the
 * cap; per-connection starts them on top of it, and a warm pool larger than the cap of busy children is a
 * mistake, not a pool. Checked here so `stress` refuses it before launching anything; each strategy checks
 * again for the programmatic API.
 */
export function assertSparesWithinCap(o: ProxyOptions): void {
  if ((o.strategy === 'per-connection' || o.strategy === 'fork') && o.spares > o.maxChildren) {
    throw new UsageError(`--spares ${o.spares} exceeds --max-children ${o.maxChildren} (with --strategy ${o.strategy}, spares are bounded by the cap)`);
  }
}

/** The strategies each strategy-specific flag changes; any other strategy would silently ignore it. */
const FLAG_STRATEGIES: readonly { key: keyof RawProxyFlags; flag: string; strategies: readonly StrategyName[] }[] = [
  { key: 'handoff', flag: '--handoff', strategies: ['per-connection'] },
  { key: 'spares', flag: '--spares', strategies: ['per-connection', 'fork'] },
  { key: 'maxChildren', flag: '--max-children', strategies: ['per-connection', 'fork'] },
  { key: 'workers', flag: '--workers', strategies: ['prefork', 'cluster'] },
  { key: 'maxConnectionsPerChild', flag: '--max-connections-per-child', strategies: ['prefork'] },
  { key: 'childLinger', flag: '--child-linger', strategies: ['per-connection'] },
];

/**
 * A flag the user gave that the chosen strategy does not use is a usage error, not a silent no-op
 * (`--strategy inline --workers 4` would otherwise run one loop and look like a result about four).
 * Only for flags the user wrote: a suite's generic target options (a cap for whichever strategy runs it) are
 * not checked.
 */
export function rejectInapplicableFlags(strategy: StrategyName, userFlags: RawProxyFlags): void {
  for (const { key, flag, strategies } of FLAG_STRATEGIES) {
    if (userFlags[key] !== undefined && !strategies.includes(strategy)) {
      throw new UsageError(`${flag} does not apply to --strategy ${strategy} (only to ${strategies.join(', ')})`);
    }
  }
}

/** Whether `strategy` uses the flag (flags that are not strategy-specific apply to all). */
function flagApplies(key: keyof RawProxyFlags, strategy: StrategyName): boolean {
  const rule = FLAG_STRATEGIES.find((r) => r.key === key);
  return rule === undefined || rule.strategies.includes(strategy);
}

/** ProxyOptions → the argv that `handoff serve` needs to reproduce them (used by the harness). A suite's
 * generic option (a cap) is passed only to a strategy that uses it. */
export function proxyOptionsToArgs(o: ProxyOptions): string[] {
  const d = DEFAULT_PROXY_OPTIONS;
  const a: string[] = ['--strategy', o.strategy, '--host', o.host, '--port', String(o.port)];
  const uses = (key: keyof RawProxyFlags): boolean => flagApplies(key, o.strategy);
  if (o.handoff !== d.handoff && uses('handoff')) a.push('--handoff', o.handoff);
  if (o.spares !== d.spares && uses('spares')) a.push('--spares', String(o.spares));
  if (o.maxChildren !== d.maxChildren && uses('maxChildren')) a.push('--max-children', String(o.maxChildren));
  if (o.workers !== d.workers && uses('workers')) a.push('--workers', String(o.workers));
  if (o.maxConnectionsPerChild !== d.maxConnectionsPerChild && uses('maxConnectionsPerChild')) {
    a.push('--max-connections-per-child', String(o.maxConnectionsPerChild));
  }
  if (o.fault) a.push('--fault', o.fault);
  if (o.fault && o.faultRate !== d.faultRate) a.push('--fault-rate', String(o.faultRate));
  if (o.allowHosts.length) a.push('--allow-host', o.allowHosts.join(','));
  if (o.connectPorts.join(',') !== d.connectPorts.join(',')) a.push('--connect-ports', o.connectPorts.join(','));
  // credentials go by environment (target.ts sets HANDOFF_PROXY_AUTH), never on this argv
  if (o.public) a.push('--public');
  if (o.upstreamTimeoutMs !== d.upstreamTimeoutMs) a.push('--upstream-timeout', `${o.upstreamTimeoutMs}ms`);
  if (o.headersTimeoutMs !== d.headersTimeoutMs) a.push('--headers-timeout', `${o.headersTimeoutMs}ms`);
  if (o.keepAliveTimeoutMs !== d.keepAliveTimeoutMs) a.push('--keep-alive-timeout', `${o.keepAliveTimeoutMs}ms`);
  if (o.maxBodyBytes !== null) a.push('--max-body', String(o.maxBodyBytes));
  if (o.maxHeaderSize !== d.maxHeaderSize) a.push('--max-header-size', String(o.maxHeaderSize));
  if (o.shutdownGraceMs !== d.shutdownGraceMs) a.push('--shutdown-grace', `${o.shutdownGraceMs}ms`);
  if (o.childLingerMs !== d.childLingerMs && uses('childLinger')) a.push('--child-linger', `${o.childLingerMs}ms`);
  if (o.tunnelIdleTimeoutMs !== d.tunnelIdleTimeoutMs) a.push('--tunnel-idle-timeout', `${o.tunnelIdleTimeoutMs}ms`);
  return a;
}
