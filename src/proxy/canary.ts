// The canary of each role of the reference proxy: the one object through which a strategy meets the fault it
// was started with (faults.ts says what each fault reproduces). Why an object: a strategy asks named questions
// ("do I keep my copy of this socket?") at its decision points and never compares fault names, so which fault
// bites where is written once, here, and a clean run meets NO_CANARY (every decision false, every hook empty).
//
// Decision points (true only where the fault bites; the rate is thrown where noted):
//   keepsParentCopy()         no-parent-close, per-connection and prefork masters: keep the master's copy of the
//                             socket being handed off (one throw per handoff)
//   leavesChildrenOnShutdown  orphan-on-shutdown, per-connection and prefork masters: on SIGTERM return at once
//                             (the rate is the children's: each one decides whether it watches the channel,
//                             child-canary.ts)
//   nextFork()                fork zygote: the throw for the next fork, made before it so that parent and child
//                             share it; its fate says leavesZombie (zombie), keepsParentCopy (no-parent-close),
//                             stallsChild (child-stall)
// Hooks: onConnection, forwardHooks, close, helperProcesses (zombie's log sink, fd-leak's access log: faults.ts).
// A child's side (orphan-on-shutdown, child-stall, ack-death, a worker's fd-leak) is child-canary.ts.
import { faultDice, leakyAccessLog, NO_HOOKS, zombieLogSink, type FaultHooks } from './faults.js';
import type { FaultName, ProxyOptions } from './options.js';

export type CanaryRole =
  | 'inline'
  | 'per-connection-master'
  | 'prefork-master'
  | 'prefork-worker'
  | 'cluster-primary'
  | 'cluster-worker'
  | 'fork-zygote';

/** The roles whose canary carries each fault; a child's side of it is child-canary.ts. */
export const FAULT_ROLES: Readonly<Record<FaultName, readonly CanaryRole[]>> = {
  'no-parent-close': ['per-connection-master', 'prefork-master', 'fork-zygote'],
  // the fork zygote's zombie is a forked child never waited for, not the log sink
  zombie: ['inline', 'per-connection-master', 'prefork-master', 'cluster-primary', 'fork-zygote'],
  // the zygote logs each fork, so the leak also bites with --spares
  'fd-leak': ['inline', 'per-connection-master', 'prefork-worker', 'cluster-worker', 'fork-zygote'],
  'orphan-on-shutdown': ['per-connection-master', 'prefork-master'],
  'child-stall': ['fork-zygote'],
  'ack-death': [],
};

/** What the fork zygote's throw before one fork decided, for the zygote and for the child it forks. */
export interface ForkFate {
  /** zombie: the zygote never waits for this child */
  readonly leavesZombie: boolean;
  /** no-parent-close: the zygote keeps its copy of the child's connection */
  readonly keepsParentCopy: boolean;
  /** child-stall: the child does not exit after its connection */
  readonly stallsChild: boolean;
}

export interface Canary extends FaultHooks {
  /** no-parent-close: keep the master's copy of the socket handed off now (throws the dice: call once per handoff) */
  keepsParentCopy(): boolean;
  /** orphan-on-shutdown: on SIGTERM the master returns at once without stopping its children */
  readonly leavesChildrenOnShutdown: boolean;
  /** fork zygote: throws the dice for the next fork (call once per fork, before it) */
  nextFork(): ForkFate;
}

const SPARED: ForkFate = { leavesZombie: false, keepsParentCopy: false, stallsChild: false };
const never = (): boolean => false;

export const NO_CANARY: Canary = { ...NO_HOOKS, keepsParentCopy: never, leavesChildrenOnShutdown: false, nextFork: () => SPARED };

/** The canary of `role` under options.fault at options.faultRate; NO_CANARY without a fault, or where it does not bite. */
export function createCanary(options: Pick<ProxyOptions, 'fault' | 'faultRate'>, role: CanaryRole): Canary {
  const { fault } = options;
  const rate = options.faultRate ?? 1;
  if (!fault || !FAULT_ROLES[fault].includes(role)) return NO_CANARY;
  // each dice is salted with the role, as it always was: HANDOFF_FAULT_SEED replays a run throw for throw
  const dice = (): (() => boolean) => faultDice(rate, role);
  if (role === 'fork-zygote') return fault === 'fd-leak' ? { ...NO_CANARY, ...leakyAccessLog(dice()) } : forkZygote(fault, dice());
  switch (fault) {
    case 'zombie':
      return { ...NO_CANARY, ...zombieLogSink(dice()) };
    case 'fd-leak':
      return { ...NO_CANARY, ...leakyAccessLog(dice()) };
    case 'no-parent-close':
      return { ...NO_CANARY, keepsParentCopy: dice() };
    case 'orphan-on-shutdown':
      return { ...NO_CANARY, leavesChildrenOnShutdown: true };
    default:
      return NO_CANARY;
  }
}

/** The zygote's one dice (zombie, no-parent-close, child-stall), thrown before each fork. */
function forkZygote(fault: FaultName, leaks: () => boolean): Canary {
  // two fates made once: a throw allocates nothing and always hands the zygote's optimised code the same shape
  const bitten: ForkFate = {
    leavesZombie: fault === 'zombie',
    keepsParentCopy: fault === 'no-parent-close',
    stallsChild: fault === 'child-stall',
  };
  return { ...NO_CANARY, nextFork: () => (leaks() ? bitten : SPARED) };
}
