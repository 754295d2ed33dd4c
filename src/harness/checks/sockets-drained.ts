import type { Check } from './check.js';
import { capped, endpoint, socketEvidence, withMore } from './evidence.js';

export const socketsDrained: Check = {
  id: 'sockets-drained',
  passesWhen:
    'no CLOSE_WAIT and no leftover ESTABLISHED TCP socket owned by the tree after drain (LISTEN is fine; so is a connection already established at the baseline)',
  evaluate(run) {
    const sockets = run.afterDrain.sockets;
    // a connection between two processes of the tree (both ends owned) is internal plumbing, not a leftover
    const ownedLocal = new Set(sockets.map((s) => endpoint(s.localAddress, s.localPort)));
    // nor is one the target held before the load (a database connection opened at start): judged against the
    // baseline, as fds-drained judges descriptors
    const heldAtBaseline = new Set(run.baseline.sockets.filter((s) => s.state === 'ESTABLISHED').map((s) => s.inode));
    const left = sockets.filter(
      (s) =>
        s.state === 'CLOSE_WAIT' ||
        (s.state === 'ESTABLISHED' && !ownedLocal.has(endpoint(s.remoteAddress, s.remotePort)) && !heldAtBaseline.has(s.inode)),
    );
    if (left.length === 0)
      return { id: 'sockets-drained', pass: true, summary: 'no CLOSE_WAIT or ESTABLISHED socket left in the tree', evidence: [] };
    const closeWait = new Set(left.filter((s) => s.state === 'CLOSE_WAIT').map((s) => s.inode)).size;
    const established = new Set(left.filter((s) => s.state === 'ESTABLISHED').map((s) => s.inode)).size;
    const holders = [...new Set(left.map((s) => s.pid))];
    const { rows, more } = capped(left);
    return {
      id: 'sockets-drained',
      pass: false,
      summary: `${closeWait} CLOSE_WAIT and ${established} ESTABLISHED left after drain, held by pid ${holders.slice(0, 5).join(', ')}`,
      evidence: withMore(
        rows.map((s) => socketEvidence(s, run.firstSeen, `held by pid ${s.pid} fd ${s.fd}`)),
        more,
        'sockets',
      ),
    };
  },
};
