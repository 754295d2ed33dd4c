// A child's side of the canaries (canary.ts is the masters'): the decision points of child.ts, and the hooks of
// a prefork or cluster worker. child.ts imports this only when a fault is set (a per-connection child's start is
// on every connection's path); without one it uses its own no-op of this shape.
//
//   ignoresMasterDeath  orphan-on-shutdown (per-connection children, prefork workers): the child does not watch
//                       the IPC channel and relies on its master to stop it (thrown once, salted with its pid)
//   stallsAfter(id)     child-stall (per-connection children): the child does not exit after its connection
//   diesOnHandle(id)    ack-death (per-connection children): the child exits when the handle arrives
// Each child throws its own dice, salted with its role and what tells children apart (the connection's id,
// else its pid), so that two children do not throw alike.
import { createCanary, NO_CANARY } from './canary.js';
import { faultDice, type FaultHooks } from './faults.js';
import type { FaultName, ProxyOptions } from './options.js';
import type { ChildRole } from './process/messages.js';

export interface ChildCanary extends Omit<FaultHooks, 'helperProcesses'> {
  /** orphan-on-shutdown: do not exit when the master's channel closes */
  readonly ignoresMasterDeath: boolean;
  /** child-stall: after connection `id` (0 with an inherited descriptor) is over, do not exit */
  stallsAfter(id: number): boolean;
  /** ack-death: exit as the handle of connection `id` arrives, before acking or serving it */
  diesOnHandle(id: number): boolean;
}

/** Which child roles each fault bites on the child's side (a worker's fd-leak: canary.ts). */
const CHILD_FAULT_ROLES: Partial<Record<FaultName, readonly ChildRole[]>> = {
  'orphan-on-shutdown': ['per-connection', 'worker'],
  'child-stall': ['per-connection'],
  'ack-death': ['per-connection'],
};

export function createChildCanary(options: Pick<ProxyOptions, 'fault' | 'faultRate'>, role: ChildRole): ChildCanary {
  const { fault } = options;
  const rate = options.faultRate ?? 1;
  const bites = (f: FaultName): boolean => fault === f && (CHILD_FAULT_ROLES[f]?.includes(role) ?? false);
  const leaks = (salt: string | number): boolean => faultDice(rate, `${role}:${salt}`)();
  const hooks =
    role === 'worker'
      ? createCanary(options, 'prefork-worker')
      : role === 'cluster-worker'
        ? createCanary(options, 'cluster-worker')
        : NO_CANARY;
  const stalls = bites('child-stall');
  const dies = bites('ack-death');
  return {
    ignoresMasterDeath: bites('orphan-on-shutdown') && leaks(`orphan:${process.pid}`),
    stallsAfter: (id) => stalls && leaks(id || process.pid),
    diesOnHandle: (id) => dies && leaks(id),
    onConnection: hooks.onConnection,
    forwardHooks: hooks.forwardHooks,
    close: hooks.close,
  };
}
