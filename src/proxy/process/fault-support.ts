// Refusing fault/strategy combinations that would silently do nothing: a canary that cannot bite would
// make a passing run meaningless.
import { UsageError } from '../../util/errors.js';
import { FAULTS_BY_STRATEGY } from '../faults.js';
import type { ProxyOptions } from '../options.js';

export function assertFaultSupported(options: ProxyOptions): void {
  const { fault, strategy } = options;
  if (!fault) return;
  const allowed = FAULTS_BY_STRATEGY[strategy] ?? [];
  if (!allowed.includes(fault)) {
    throw new UsageError(`fault "${fault}" is not available on strategy ${strategy} (available: ${allowed.join(', ') || 'none'})`);
  }
  if (fault === 'ack-death' && options.handoff !== 'ipc') {
    throw new UsageError('fault "ack-death" needs --handoff ipc (there is no ack with an inherited descriptor)');
  }
}
