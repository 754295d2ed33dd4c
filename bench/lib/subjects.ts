// What the benchmarks measure: the reference proxy under each strategy, plus two reference points that are
// not ours (a minimal node:http proxy written for the benchmark, and Debian's tinyproxy).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/harness/target.js';
import { compiled } from '../../src/paths.js';
import type { ProxyOptions } from '../../src/proxy/options.js';
import { loadForkAddon } from '../../src/native/addon.js';
import type { BenchEnv } from './context.js';
import { startHelper, startProxy, type Running } from './processes.js';

export type LoadKind = 'keepalive' | 'churn';

export interface Subject {
  id: string;
  /** what the report calls it */
  label: string;
  kind: 'strategy' | 'reference';
  /** load kinds it is measured under */
  loads: LoadKind[];
  /** child processes it keeps at rest (a cell waits for the tree to get back to this) */
  resident: number;
  /** one line for the "Choosing a strategy" table */
  useWhen?: string;
  /** why it cannot run here, or null */
  unavailable(): string | null;
  start(env: BenchEnv): Promise<Running>;
}

export const TINYPROXY = '/usr/bin/tinyproxy';
export const SPARES = 2;
export const WORKERS = 2;

function strategy(id: string, label: string, options: Partial<ProxyOptions>, resident: number, useWhen: string): Subject {
  return {
    id,
    label,
    kind: 'strategy',
    loads: ['keepalive', 'churn'],
    resident,
    useWhen,
    unavailable: () => null,
    start: (env) => startProxy(id, options, { runId: env.runId, logsDir: env.logsDir }),
  };
}

function forkUnavailable(): string | null {
  const load = loadForkAddon();
  return load.ok ? null : load.reason;
}

export const STRATEGY_SUBJECTS: Subject[] = [
  strategy(
    'inline',
    'inline',
    { strategy: 'inline' },
    0,
    'the default: highest throughput, lowest latency; one crash takes every connection with it',
  ),
  strategy(
    'per-connection',
    'per-connection --handoff ipc',
    { strategy: 'per-connection', handoff: 'ipc' },
    0,
    'isolation per connection matters more than rate (long-lived, rare connections); costs one process start each',
  ),
  strategy(
    'per-connection-stdio',
    'per-connection --handoff stdio',
    { strategy: 'per-connection', handoff: 'stdio' },
    0,
    'the literal fork-and-close model (inherited fd); same cost as ipc, for studying that model',
  ),
  strategy(
    'per-connection-spares',
    `per-connection --spares ${SPARES}`,
    { strategy: 'per-connection', handoff: 'ipc', spares: SPARES },
    SPARES,
    'per-connection isolation with near-inline latency while arrivals stay below the spawn ceiling',
  ),
  strategy(
    'prefork',
    `prefork --workers ${WORKERS}`,
    { strategy: 'prefork', workers: WORKERS },
    WORKERS,
    'process isolation from a crash-prone handler at inline-like throughput; workers recycle',
  ),
  strategy(
    'cluster',
    `cluster --workers ${WORKERS}`,
    { strategy: 'cluster', workers: WORKERS },
    WORKERS,
    'use every core with node:cluster semantics (the primary accepts and distributes)',
  ),
  {
    ...strategy(
      'fork',
      'fork',
      { strategy: 'fork' },
      0,
      'per-connection isolation at the rate of a native forking server (Python ForkingMixIn): a warm zygote fork()s per connection',
    ),
    unavailable: forkUnavailable,
  },
  {
    ...strategy(
      'fork-spares',
      `fork --spares ${SPARES}`,
      { strategy: 'fork', spares: SPARES },
      SPARES,
      'fork isolation with lower latency at moderate arrival rates: children forked ahead accept their connection; costs throughput at saturation',
    ),
    unavailable: forkUnavailable,
  },
];

const minimalProxy: Subject = {
  id: 'minimal-proxy',
  label: 'minimal proxy (bench/reference, node:http)',
  kind: 'reference',
  loads: ['keepalive', 'churn'],
  resident: 0,
  unavailable: () => null,
  start: (env) =>
    startHelper(
      { label: 'minimal-proxy', argv: [process.execPath, compiled('bench/reference/minimal-proxy.js')], ready: { kind: 'listening-line' } },
      env.runId,
    ),
};

/** tinyproxy in the foreground with a generated config on a free loopback port. */
const tinyproxy: Subject = {
  id: 'tinyproxy',
  label: 'tinyproxy (Debian)',
  kind: 'reference',
  // tinyproxy closes the client connection after each response: it is a churn reference only
  loads: ['churn'],
  resident: 0,
  unavailable: () => (existsSync(TINYPROXY) ? null : `${TINYPROXY} is not installed (Debian package tinyproxy)`),
  async start(env) {
    const port = await freePort();
    const conf = join(env.logsDir, 'tinyproxy.conf');
    writeFileSync(
      conf,
      [
        `Port ${port}`,
        'Listen 127.0.0.1',
        'Timeout 30',
        'MaxClients 512',
        'Allow 127.0.0.1',
        'LogLevel Critical',
        'DisableViaHeader Yes',
        '',
      ].join('\n'),
    );
    return startHelper(
      { label: 'tinyproxy', argv: [TINYPROXY, '-d', '-c', conf], ready: { kind: 'port', host: '127.0.0.1', port } },
      env.runId,
    );
  },
};

export const REFERENCE_SUBJECTS: Subject[] = [minimalProxy, tinyproxy];

export function selectSubjects(all: Subject[], ids: string[] | null): Subject[] {
  return ids === null ? all : all.filter((s) => ids.includes(s.id));
}
