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
  if (fault === 'no-parent-close' && strategy === 'fork' && options.spares > 0) {
    // spares accept their connections themselves: the zygote never holds a client socket it could forget
    throw new UsageError('--fault no-parent-close needs a zygote that accepts: use --strategy fork without --spares');
  }
}
