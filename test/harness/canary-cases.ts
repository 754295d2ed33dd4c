// The canary matrix (cases; run by canaries-*.test.ts, two files so tap runs them side by side): every fault of the reference proxy must fail its run (exit 1, through the real CLI) on
// the check meant to catch it, with evidence naming the guilty process or descriptor, and leave nothing alive.
import type { Test } from 'tap';
import { check, failedIds, markedPids, runCli, tempReportDir, type CliResult } from './helpers.js';
import type { Evidence, Report } from '../../src/model/report.js';

export interface Case {
  name: string;
  /** the strategy whose source must wire the fault in, for the case to be meaningful */
  strategy: string;
  args: string[];
  /** every one of these must fail */
  all?: string[];
  /** at least one of these must fail */
  any?: string[];
  evidence: (report: Report, t: Test) => void;
}

const ev = (report: Report, id: string): Evidence[] => check(report, id).evidence;
const processes = (e: Evidence[]) => e.filter((x): x is Extract<Evidence, { kind: 'process' }> => x.kind === 'process');
const fds = (e: Evidence[]) => e.filter((x): x is Extract<Evidence, { kind: 'fd' }> => x.kind === 'fd');
const sockets = (e: Evidence[]) => e.filter((x): x is Extract<Evidence, { kind: 'socket' }> => x.kind === 'socket');
/**
 * handoff-eof names the parent that kept its copy as what still held each connection open. Other holders may be
 * listed beside it: a child forked later inherits the parent's leaked copies (true of a real forking server too).
 */
const heldOpenByRoot = (r: Report, t: Test, who: string): void => {
  const held = sockets(ev(r, 'handoff-eof'));
  const connections = new Set(held.map((s) => s.note));
  const byRoot = new Set(held.filter((s) => s.pid === r.target.pid).map((s) => s.note));
  t.ok(held.length > 0 && byRoot.size === connections.size, `handoff-eof: ${who} still held the connection open`, {
    connections: [...connections],
    heldByRoot: [...byRoot],
  });
  t.match(check(r, 'handoff-eof').summary, new RegExp(`still held open by pid ${r.target.pid} \\(the target's root\\)`));
};

export const CASES: Case[] = [
  {
    name: 'per-connection no-parent-close',
    strategy: 'per-connection',
    args: ['--strategy', 'per-connection', '--fault', 'no-parent-close'],
    all: ['handoff-eof', 'fds-drained'],
    evidence: (r, t) => {
      t.ok(
        ev(r, 'handoff-eof').some((e) => e.kind === 'connection' && /no EOF within/.test(e.detail)),
        'a churn connection without EOF',
      );
      const leaked = fds(ev(r, 'fds-drained'));
      t.ok(leaked.length > 0 && leaked.every((f) => f.pid === r.target.pid), 'the leaked fds are the master’s');
      t.ok(
        leaked.some((f) => /^socket:\[\d+\]$/.test(f.target)),
        'and they are sockets',
      );
      heldOpenByRoot(r, t, 'the master');
    },
  },
  {
    name: 'per-connection zombie',
    strategy: 'per-connection',
    args: ['--strategy', 'per-connection', '--fault', 'zombie'],
    all: ['no-zombies'],
    evidence: (r, t) => {
      const z = processes(ev(r, 'no-zombies'));
      t.ok(z.length > 0 && z.every((p) => p.state === 'Z'), 'the evidence is a zombie');
    },
  },
  {
    name: 'inline zombie',
    strategy: 'inline',
    args: ['--strategy', 'inline', '--fault', 'zombie'],
    all: ['no-zombies'],
    evidence: (r, t) => t.ok(processes(ev(r, 'no-zombies')).every((p) => p.state === 'Z')),
  },
  {
    name: 'per-connection orphan-on-shutdown',
    strategy: 'per-connection',
    args: ['--strategy', 'per-connection', '--fault', 'orphan-on-shutdown'],
    all: ['no-orphans', 'clean-shutdown'],
    evidence: (r, t) => {
      const o = processes(ev(r, 'no-orphans'));
      t.ok(o.length > 0 && o.every((p) => /child\.js/.test(p.cmdline) && p.ppid !== r.target.pid), 'orphaned proxy children, reparented');
      t.ok(
        processes(ev(r, 'clean-shutdown')).some((p) => /child\.js/.test(p.cmdline)),
        'clean-shutdown names the child left behind',
      );
    },
  },
  {
    name: 'per-connection fd-leak',
    strategy: 'per-connection',
    args: ['--strategy', 'per-connection', '--fault', 'fd-leak'],
    any: ['fds-drained', 'sockets-drained'],
    evidence: (r, t) => {
      const f = fds(ev(r, 'fds-drained'));
      t.ok(f.length > 0 && f.every((x) => x.pid === r.target.pid), 'the master holds the leaked descriptors');
    },
  },
  {
    name: 'inline fd-leak',
    strategy: 'inline',
    args: ['--strategy', 'inline', '--fault', 'fd-leak'],
    any: ['fds-drained', 'sockets-drained'],
    evidence: (r, t) => t.ok(fds(ev(r, 'fds-drained')).length > 0, 'fd evidence'),
  },
  {
    name: 'per-connection child-stall',
    strategy: 'per-connection',
    args: ['--strategy', 'per-connection', '--fault', 'child-stall'],
    all: ['children-drained'],
    evidence: (r, t) => {
      const c = processes(ev(r, 'children-drained'));
      t.ok(c.length > 0 && c.every((p) => p.ppid === r.target.pid && /child\.js/.test(p.cmdline)), 'the stalled children of the master');
    },
  },
  {
    name: 'prefork no-parent-close',
    strategy: 'prefork',
    args: ['--strategy', 'prefork', '--fault', 'no-parent-close'],
    all: ['handoff-eof', 'fds-drained'],
    evidence: (r, t) => {
      t.ok(
        fds(ev(r, 'fds-drained')).every((f) => f.pid === r.target.pid),
        'the prefork master holds the copies',
      );
      heldOpenByRoot(r, t, 'the prefork master');
    },
  },
  {
    name: 'prefork fd-leak',
    strategy: 'prefork',
    args: ['--strategy', 'prefork', '--fault', 'fd-leak'],
    any: ['fds-drained', 'sockets-drained'],
    evidence: (r, t) =>
      t.ok(
        fds(ev(r, 'fds-drained')).some((f) => f.pid !== r.target.pid),
        'a prefork worker holds the leaked descriptors',
      ),
  },
  {
    name: 'cluster fd-leak',
    strategy: 'cluster',
    args: ['--strategy', 'cluster', '--fault', 'fd-leak'],
    any: ['fds-drained', 'sockets-drained'],
    evidence: (r, t) =>
      t.ok(
        fds(ev(r, 'fds-drained')).some((f) => f.pid !== r.target.pid),
        'a cluster worker holds the leaked descriptors',
      ),
  },
  {
    name: 'per-connection ack-death',
    strategy: 'per-connection',
    args: ['--strategy', 'per-connection', '--fault', 'ack-death'],
    any: ['handoff-eof', 'sockets-drained', 'error-budget'],
    evidence: (r, t) => {
      const failing = r.checks.filter((c) => !c.pass);
      t.ok(
        failing.every((c) => c.evidence.length > 0),
        'every failing check has evidence',
      );
    },
  },
  {
    name: 'per-connection stdio no-parent-close',
    strategy: 'per-connection',
    args: ['--strategy', 'per-connection', '--handoff', 'stdio', '--fault', 'no-parent-close'],
    all: ['handoff-eof', 'fds-drained'],
    evidence: (r, t) => {
      t.ok(
        fds(ev(r, 'fds-drained')).every((f) => f.pid === r.target.pid),
        'the master kept the inherited copies',
      );
      heldOpenByRoot(r, t, 'the master');
    },
  },
  {
    name: 'prefork orphan-on-shutdown',
    strategy: 'prefork',
    args: ['--strategy', 'prefork', '--fault', 'orphan-on-shutdown'],
    all: ['no-orphans', 'clean-shutdown'],
    evidence: (r, t) =>
      t.ok(
        processes(ev(r, 'no-orphans')).some((p) => /child\.js/.test(p.cmdline)),
        'a prefork worker outlived its master',
      ),
  },
  {
    name: 'prefork zombie',
    strategy: 'prefork',
    args: ['--strategy', 'prefork', '--fault', 'zombie'],
    all: ['no-zombies'],
    evidence: (r, t) => t.ok(processes(ev(r, 'no-zombies')).every((p) => p.state === 'Z')),
  },
  {
    name: 'cluster zombie',
    strategy: 'cluster',
    args: ['--strategy', 'cluster', '--fault', 'zombie'],
    all: ['no-zombies'],
    evidence: (r, t) => t.ok(processes(ev(r, 'no-zombies')).every((p) => p.state === 'Z')),
  },
  {
    name: 'fork zombie',
    strategy: 'fork',
    args: ['--strategy', 'fork', '--fault', 'zombie'],
    all: ['no-zombies'],
    evidence: (r, t) => {
      const z = processes(ev(r, 'no-zombies'));
      t.ok(z.length > 0 && z.every((p) => p.state === 'Z' && p.ppid === r.target.pid), 'forked children the zygote never reaped');
    },
  },
  {
    name: 'fork no-parent-close',
    strategy: 'fork',
    args: ['--strategy', 'fork', '--fault', 'no-parent-close'],
    all: ['handoff-eof', 'fds-drained'],
    evidence: (r, t) => {
      t.ok(
        fds(ev(r, 'fds-drained')).every((f) => f.pid === r.target.pid),
        'the zygote kept its copies',
      );
      heldOpenByRoot(r, t, 'the zygote');
    },
  },
  {
    name: 'fork fd-leak',
    strategy: 'fork',
    args: ['--strategy', 'fork', '--fault', 'fd-leak'],
    all: ['fds-drained'],
    evidence: (r, t) => {
      const f = fds(ev(r, 'fds-drained'));
      t.ok(f.length > 0 && f.every((x) => x.pid === r.target.pid), 'the zygote holds the leaked descriptors');
    },
  },
  {
    name: 'fork child-stall',
    strategy: 'fork',
    args: ['--strategy', 'fork', '--fault', 'child-stall'],
    all: ['children-drained'],
    evidence: (r, t) => {
      // forked children carry the zygote's command line: what tells them apart is their parent
      const c = processes(ev(r, 'children-drained'));
      t.ok(
        c.length > 0 && c.every((p) => p.ppid === r.target.pid && /cli\/main\.js/.test(p.cmdline)),
        'forked children still alive under the zygote',
      );
    },
  },
];

export function runCanaries(t: Test, cases: Case[], unavailable: (c: Case) => string | null = () => null): Promise<unknown> {
  return t.test('canary faults fail on their intended check', async (t) => {
    const dir = tempReportDir(t);
    for (const c of cases) {
      const skip = unavailable(c);
      await t.test(c.name, { skip: skip ?? false }, async (t) => {
        // one round of load (--load-cap 0): the canary must be caught on it; a miss is a pass short of the floor,
        // exit 4, and fails this test all the same
        const r: CliResult = await runCli([
          'stress',
          ...c.args,
          '--report-dir',
          dir,
          '--drain',
          '2s',
          '--load-cap',
          '0',
          '--format',
          'json',
          '--quiet',
        ]);
        t.equal(r.code, 1, `exit 1 (stderr: ${r.stderr.slice(-300)})`);
        t.ok(r.report, 'a report was written');
        if (!r.report) return;
        const failed = failedIds(r.report);
        t.comment(`${c.name}: failed ${failed.join(', ')}; time to quiet ${r.report.timeToQuietMs}`);
        for (const id of c.all ?? []) t.ok(failed.includes(id), `${id} fails`);
        if (c.any)
          t.ok(
            c.any.some((id) => failed.includes(id)),
            `one of ${c.any.join(', ')} fails`,
          );
        c.evidence(r.report, t);
        t.match(r.stdout, /FAIL/, 'the summary says FAIL');
        t.same(markedPids(r.report.runId), [], 'nothing carrying the run marker is left');
      });
    }
  });
}
