// Every check on hand-made observations: each must be able to pass and to fail, with evidence that names
// the process, descriptor, socket or connection at fault.
import t from 'tap';
import { CHECKS, evaluateAll } from '../../src/harness/checks/index.js';
import type { RunObservations } from '../../src/harness/checks/observations.js';
import type { LoadOutcome } from '../../src/harness/load/generator.js';
import type { FdEntry, OwnedSocket, ProcessSnapshot, Sample } from '../../src/harness/probes/types.js';
import { CHECK_IDS } from '../../src/model/report.js';

const fd = (n: number, target: string): FdEntry => {
  const m = /^(socket|pipe):\[(\d+)\]$/.exec(target);
  return {
    fd: n,
    target,
    kind: m ? (m[1] as 'socket' | 'pipe') : target.startsWith('/') ? 'file' : 'other',
    inode: m ? Number(m[2]) : null,
  };
};
const stdFds = (): FdEntry[] => [
  fd(0, '/dev/null'),
  fd(1, 'pipe:[10]'),
  fd(2, 'pipe:[11]'),
  fd(3, 'anon_inode:[eventpoll]'),
  fd(10, 'socket:[500]'),
];

function proc(pid: number, over: Partial<ProcessSnapshot> = {}): ProcessSnapshot {
  return {
    pid,
    starttime: pid * 10,
    ppid: 1,
    pgrp: 100,
    state: 'S',
    cmdline: `node worker ${pid}`,
    depth: 1,
    fds: stdFds(),
    rssBytes: 1e6,
    cpuTicks: 0,
    ...over,
  };
}
const root = (over: Partial<ProcessSnapshot> = {}): ProcessSnapshot => proc(100, { depth: 0, cmdline: 'node cli.js serve', ...over });
const sample = (t: number, tree: ProcessSnapshot[], sockets: OwnedSocket[] = [], orphans: ProcessSnapshot[] = []): Sample => ({
  t,
  tree,
  orphans,
  sockets,
});
const sock = (state: OwnedSocket['state'], inode: number, pid = 100, fdn = 20, localPort = 8080, remotePort = 50000): OwnedSocket => ({
  localAddress: '127.0.0.1',
  localPort,
  remoteAddress: '127.0.0.1',
  remotePort,
  state,
  inode,
  pid,
  fd: fdn,
});
function outcome(over: Partial<LoadOutcome> & { requests?: number } = {}): LoadOutcome {
  return {
    stats: {
      generator: 'churn',
      durationMs: 1000,
      requests: over.requests ?? 100,
      errors: 0,
      timeouts: 0,
      statuses: { 200: 100 },
      latencyMs: { p50: 1, p90: 1, p99: 1, max: 1, mean: 1 },
    },
    counts: {},
    tokensChecked: 100,
    eofChecked: 100,
    incidents: [],
    ...over,
  };
}

function clean(): RunObservations {
  const base = sample(100, [root()], [sock('LISTEN', 500, 100, 10, 8080, 0)]);
  return {
    target: { kind: 'reference-proxy', rootPid: 100, pool: { resident: 0, cap: 4 }, strictExit: false },
    baseline: base,
    afterDrain: sample(2000, [root()], [sock('LISTEN', 500, 100, 10, 8080, 0)]),
    zombieSpans: [],
    descendantsSeen: 3,
    baselineChildren: 0,
    drain: { quiet: true, timeToQuietMs: 10, deadlineMs: 5000, extendedMs: 0, convergingAtEnd: false },
    orphansDuringRun: [],
    orphansAfterShutdown: [],
    shutdown: {
      signalAtMs: 2100,
      deadlineMs: 5000,
      exit: { code: 0, signal: null, afterMs: 20 },
      diedEarly: false,
      leftovers: [],
      escalated: false,
    },
    peaks: { children: 3, fds: 40, rssBytes: 1e7, pssBytes: null, closeWait: 0, childrenAt: 500 },
    maxChildrenSample: null,
    load: [outcome()],
    tolerances: { fdSlack: 2, maxErrorRate: 0.01, maxErrors: 0, zombieBoundMs: 3000 },
    // processes: first seen at their pid (ms), so 'newest' is well defined
    firstSeen: (k) => (k.includes('#fd') ? 777 : k.startsWith('sock:') ? 555 : Number(k.split('@')[0])),
  };
}

const byId = (run: RunObservations, id: string) => CHECKS.find((c) => c.id === id)!.evaluate(run);

t.test('one check per contract id, in order', async (t) => {
  t.same(
    CHECKS.map((c) => c.id),
    [...CHECK_IDS],
  );
});

t.test('a clean run passes every check', async (t) => {
  for (const r of evaluateAll(clean())) t.ok(r.pass, `${r.id}: ${r.summary}`);
});

t.test('responses-correct fails on cross-talk and names the request', async (t) => {
  const run = clean();
  run.load = [
    outcome({
      counts: { 'wrong-token': 1 },
      incidents: [{ kind: 'wrong-token', generator: 'flood', id: 'req-7', detail: 'expected token a, body starts "token=b"', atMs: 300 }],
    }),
  ];
  const r = byId(run, 'responses-correct');
  t.notOk(r.pass);
  t.match(r.evidence[0], { kind: 'connection', id: 'req-7' });
});

t.test('error-budget: within budget passes, over budget fails, no response at all fails', async (t) => {
  const run = clean();
  run.tolerances.maxErrorRate = 0.05;
  run.load = [outcome({ stats: { ...outcome().stats, errors: 5 } })];
  t.ok(byId(run, 'error-budget').pass);
  run.load = [
    outcome({
      stats: { ...outcome().stats, errors: 3, timeouts: 4 },
      counts: { timeout: 4 },
      incidents: [{ kind: 'timeout', generator: 'churn', id: 'conn-3', detail: 'no response', atMs: 1 }],
    }),
  ];
  const r = byId(run, 'error-budget');
  t.notOk(r.pass);
  t.match(r.evidence[0], { kind: 'connection', id: 'conn-3' });
  run.load = [outcome({ requests: 0, stats: { ...outcome().stats, requests: 0 } })];
  t.notOk(byId(run, 'error-budget').pass);
});

t.test('error-budget is per generator: a fast flood does not dilute a generator whose every attempt failed', async (t) => {
  const run = clean();
  run.tolerances = { ...run.tolerances, maxErrorRate: 0.01, maxErrors: 2 };
  const gen = (generator: string, requests: number, errors: number, detail = 'connect refused') =>
    outcome({
      stats: { ...outcome().stats, generator, requests, errors },
      counts: errors ? { error: errors } : {},
      incidents: errors ? [{ kind: 'error', generator, id: `${generator}-1`, detail, atMs: 5 }] : [],
    });
  // the same tunnel failures with a fast and a slow flood (170 of 19 065 vs 104 of 2 592, pooled): one verdict
  for (const floodRequests of [19_000, 2_500]) {
    run.load = [gen('flood', floodRequests, 0), gen('tunnel', 0, 60, 'CONNECT answered 405')];
    const r = byId(run, 'error-budget');
    t.notOk(r.pass, `flood of ${floodRequests}`);
    t.match(r.summary, /^tunnel failed wholesale: no answer in 60 attempts \(first: CONNECT answered 405\)/);
  }
  // over its own budget, while the pooled total would be within it
  run.load = [gen('flood', 10_000, 0), gen('churn', 100, 5)];
  const over = byId(run, 'error-budget');
  t.notOk(over.pass);
  t.match(over.summary, /^churn over its budget: 5 errors, 0 timeouts, 0 unexpected statuses in 105 attempts \(budget 2\)/);
  run.load = [gen('flood', 10_000, 2), gen('churn', 100, 2)];
  t.ok(byId(run, 'error-budget').pass, 'each within its own budget');
  t.match(byId(run, 'error-budget').summary, /; each generator within its budget$/);
});

t.test('handoff-eof fails on a connection without EOF', async (t) => {
  const run = clean();
  run.load = [
    outcome({
      counts: { 'no-eof': 2 },
      incidents: [{ kind: 'no-eof', generator: 'churn', id: 'conn-9/w1', detail: 'no EOF within 1000 ms (local port 5000)', atMs: 900 }],
    }),
  ];
  const r = byId(run, 'handoff-eof');
  t.notOk(r.pass);
  t.match(r.summary, /2 connections of 100/);
  t.match(r.evidence[0], { kind: 'connection', id: 'conn-9/w1', generator: 'churn' });
  t.notMatch(r.summary, /held open/, 'no holder named when none was found');
});

t.test('handoff-eof names who still held the connection open', async (t) => {
  const run = clean();
  const held = {
    localAddress: '127.0.0.1',
    localPort: 8080,
    remoteAddress: '127.0.0.1',
    remotePort: 5000,
    state: 'ESTABLISHED' as const,
    inode: 777,
    pid: 100,
    fd: 23,
  };
  run.load = [
    outcome({
      counts: { 'no-eof': 1 },
      incidents: [{ kind: 'no-eof', generator: 'churn', id: 'conn-9/w1', detail: 'no EOF (local port 5000)', atMs: 300, holders: [held] }],
    }),
  ];
  const r = byId(run, 'handoff-eof');
  t.notOk(r.pass);
  t.match(r.summary, /still held open by pid 100 \(the target's root\)/);
  t.match(
    r.evidence[1],
    {
      kind: 'socket',
      pid: 100,
      fd: 23,
      local: '127.0.0.1:8080',
      remote: '127.0.0.1:5000',
      state: 'ESTABLISHED',
      inode: 777,
      firstSeenMs: 300,
    },
    'first seen: the lookup at the incident, earlier than any sample',
  );
  t.match((r.evidence[1] as { note?: string }).note, /conn-9\/w1/);
});

t.test('handoff-eof names the root first when a later child inherited the leaked copy too', async (t) => {
  const run = clean();
  const copy = (pid: number, fd: number) => ({
    localAddress: '127.0.0.1',
    localPort: 8080,
    remoteAddress: '127.0.0.1',
    remotePort: 5000,
    state: 'ESTABLISHED' as const,
    inode: 777,
    pid,
    fd,
  });
  run.load = [
    outcome({
      counts: { 'no-eof': 1 },
      incidents: [
        { kind: 'no-eof', generator: 'churn', id: 'conn-9/w1', detail: 'no EOF', atMs: 300, holders: [copy(4242, 30), copy(100, 23)] },
      ],
    }),
  ];
  const r = byId(run, 'handoff-eof');
  t.match(r.summary, /still held open by pid 100 \(the target's root\), pid 4242$/);
});

t.test('children-drained: pool allowed, excess fails naming the newest child', async (t) => {
  const run = clean();
  run.target.pool = { resident: 2, cap: 4 };
  run.afterDrain = sample(2000, [root(), proc(201), proc(202)]);
  t.ok(byId(run, 'children-drained').pass, 'two resident children are the declared pool');
  run.afterDrain = sample(2000, [root(), proc(201), proc(202), proc(203)]);
  const r = byId(run, 'children-drained');
  t.notOk(r.pass);
  t.match(r.evidence[0], { kind: 'process', pid: 203, cmdline: 'node worker 203', firstSeenMs: 203 });
  run.afterDrain = sample(2000, [root(), proc(201), proc(202), proc(204, { state: 'Z' })]);
  t.ok(byId(run, 'children-drained').pass, 'a zombie is not a live child');
  // children that existed only because of the warm-up do not raise the allowance
  run.target.pool = { resident: 0, cap: 4 };
  run.baseline = sample(100, [root(), proc(201)]);
  run.baselineChildren = 0;
  run.afterDrain = sample(2000, [root(), proc(201)]);
  t.notOk(byId(run, 'children-drained').pass);
});

t.test('no-zombies: a zombie left at the end of the drain fails, even one born during the drain', async (t) => {
  const run = clean();
  const z = proc(300, { state: 'Z', ppid: 100 });
  // first seen as a zombie in the very sample that ended the drain: no earlier sample shows it
  run.afterDrain = sample(2000, [root(), z]);
  run.zombieSpans = [{ process: z, firstMs: 2000, lastMs: 2000 }];
  const r = byId(run, 'no-zombies');
  t.notOk(r.pass);
  t.match(r.summary, /1 zombie never reaped \(parent pid 100\): still there at the end of the drain/);
  t.match(r.evidence[0], { kind: 'process', pid: 300, state: 'Z', ppid: 100, note: /zombie since 2000 ms, parent 100 never waited/ });
});

t.test('no-zombies: time-bound — a parent that reaps within the bound passes, one that waits longer fails', async (t) => {
  const run = clean();
  const z = proc(300, { state: 'Z', ppid: 100 });
  // Apache prefork: reaps about once a second, so a retired child is a zombie for up to ~0.95 s
  run.zombieSpans = [
    { process: z, firstMs: 500, lastMs: 1450 },
    { process: proc(301, { state: 'Z', ppid: 100 }), firstMs: 900, lastMs: 1800 },
  ];
  const ok = byId(run, 'no-zombies');
  t.ok(ok.pass, ok.summary);
  t.match(ok.summary, /2 zombies seen, each reaped within the 3000 ms bound \(longest seen 950 ms\)/);
  // reaped only after 4 s (a parent that waits only when the next connection arrives)
  run.zombieSpans = [{ process: z, firstMs: 500, lastMs: 4500 }];
  const late = byId(run, 'no-zombies');
  t.notOk(late.pass);
  t.match(late.summary, /1 zombie outlived the 3000 ms zombie bound during the run \(longest 4000 ms\)/);
  t.match(late.evidence[0], { kind: 'process', pid: 300, note: /a zombie for 4000 ms before its parent 100 waited/ });
  run.tolerances.zombieBoundMs = 5000;
  t.ok(byId(run, 'no-zombies').pass, 'the bound is a setting (suite zombieBound)');
  run.zombieSpans = [];
  t.match(byId(run, 'no-zombies').summary, /no zombie descendant seen \(3 descendants seen in all\)/);
});

t.test('no-orphans: during the run or after shutdown', async (t) => {
  const run = clean();
  run.orphansAfterShutdown = [proc(400, { ppid: 1, depth: -1, cmdline: 'node child.js' })];
  const r = byId(run, 'no-orphans');
  t.notOk(r.pass);
  t.match(r.evidence[0], { kind: 'process', pid: 400, cmdline: 'node child.js', note: /after shutdown/ });
  const run2 = clean();
  run2.orphansDuringRun = [proc(401, { ppid: 1, depth: -1 })];
  t.notOk(byId(run2, 'no-orphans').pass);
  const run3 = clean();
  run3.orphansAfterShutdown = [proc(402, { ppid: 1, depth: -1, state: 'Z' })];
  run3.orphansDuringRun = [proc(403, { ppid: 1, depth: -1, state: 'Z' })];
  t.ok(byId(run3, 'no-orphans').pass, 'exited children waiting for a slow PID 1 to reap them are not alive');
  run3.orphansAfterShutdown.push(proc(404, { ppid: 1, depth: -1, state: 'S' }));
  const r3 = byId(run3, 'no-orphans');
  t.notOk(r3.pass);
  t.match(r3.summary, /^1 orphan .*\(1 alive after shutdown\)/, 'counted without the zombies');
  // a pass says when it could only see marked orphans (no subreaper: one with an empty environment escapes)
  const marked = clean();
  t.match(byId(marked, 'no-orphans').summary, /by the run marker only: no subreaper/);
  marked.target.adoptsOrphans = true;
  t.notMatch(byId(marked, 'no-orphans').summary, /marker only/);
});

t.test('fds-drained: own baseline, peer baseline for a replaced worker, evidence names the fd', async (t) => {
  const run = clean();
  const seen = run.firstSeen;
  // socket 901 was never a TCP connection of the tree (a UNIX socket, say): a one-off
  run.firstSeen = (k) => (k === 'sock:901' ? null : seen(k));
  run.afterDrain = sample(2000, [root({ fds: [...stdFds(), fd(11, '/tmp/a.log'), fd(12, 'socket:[901]')] })]);
  t.ok(byId(run, 'fds-drained').pass, 'within the slack of 2');
  run.afterDrain = sample(2000, [root({ fds: [...stdFds(), fd(11, '/tmp/a.log'), fd(12, 'socket:[901]'), fd(13, 'socket:[902]')] })]);
  const r = byId(run, 'fds-drained');
  t.notOk(r.pass);
  t.match(r.summary, /pid 100 holds 8 vs 5/);
  t.ok(r.evidence.some((e) => e.kind === 'fd' && e.fd === 13 && e.target === 'socket:[902]' && e.pid === 100));
  // a worker replaced after baseline is judged against its predecessor (same cmdline, same depth)
  const run2 = clean();
  run2.baseline = sample(100, [root(), proc(201, { cmdline: 'node worker' })]);
  run2.afterDrain = sample(2000, [
    root(),
    proc(250, { cmdline: 'node worker', fds: [...stdFds(), fd(20, 'socket:[1]'), fd(21, 'socket:[2]'), fd(22, 'socket:[3]')] }),
  ]);
  const r2 = byId(run2, 'fds-drained');
  t.notOk(r2.pass);
  t.ok(r2.evidence.some((e) => e.kind === 'fd' && e.pid === 250 && e.fd === 22));
  run2.afterDrain = sample(2000, [
    root(),
    proc(250, { cmdline: 'node worker', fds: stdFds().map((f) => (f.inode ? fd(f.fd, `${f.kind}:[${f.inode + 1000}]`) : f)) }),
  ]);
  t.ok(byId(run2, 'fds-drained').pass, 'same shape, different inodes');
});

t.test('fds-drained: a spare caught booting at baseline is judged by its booted peer, not by its own half-made set', async (t) => {
  const run = clean();
  run.tolerances.fdSlack = 4;
  const booted = [
    ...stdFds(),
    fd(4, 'pipe:[20]'),
    fd(5, 'pipe:[21]'),
    fd(6, 'anon_inode:[eventfd]'),
    fd(7, 'pipe:[22]'),
    fd(8, 'pipe:[23]'),
  ];
  // pid 300 had only its first fds when the baseline was read; pid 301, its peer, was up
  run.baseline = sample(100, [
    root(),
    proc(300, { cmdline: 'node child.js', fds: stdFds().slice(0, 3) }),
    proc(301, { cmdline: 'node child.js', fds: booted }),
  ]);
  run.afterDrain = sample(2000, [
    root(),
    proc(300, { cmdline: 'node child.js', fds: booted.map((f) => (f.inode ? fd(f.fd, `${f.kind}:[${f.inode + 100}]`) : f)) }),
    proc(301, { cmdline: 'node child.js', fds: booted }),
  ]);
  t.ok(byId(run, 'fds-drained').pass, 'booted to the size of its peer: nothing kept');
  // the same process grown past its peer's set by repeated sockets still fails
  run.afterDrain.tree[1] = proc(300, { cmdline: 'node child.js', fds: [...booted, fd(30, 'socket:[71]'), fd(31, 'socket:[72]')] });
  t.notOk(byId(run, 'fds-drained').pass, 'growth beyond the booted peer is still judged');
  // without a peer, its own baseline is the reference (a unique process is never excused by another's set)
  run.baseline = sample(100, [root(), proc(300, { cmdline: 'node child.js', fds: stdFds().slice(0, 3) })]);
  run.afterDrain = sample(2000, [root(), proc(300, { cmdline: 'node child.js', fds: booted })]);
  t.notOk(byId(run, 'fds-drained').pass, 'no peer: judged against its own baseline');
});

t.test('fds-drained: the tolerance excuses one-offs, not a connection still held or fds that repeat', async (t) => {
  const run = clean();
  run.tolerances.fdSlack = 4;
  // one client connection's socket, seen in the TCP tables during the run, gone from them, still held: the
  // parent's forgotten copy, one connection in a hundred — under any slack it is a leak
  run.afterDrain = sample(2000, [root({ fds: [...stdFds(), fd(11, 'socket:[901]')] })]);
  const held = byId(run, 'fds-drained');
  t.notOk(held.pass, 'one held connection fails under a slack of 4');
  t.match(held.summary, /tolerance 4, which excuses one-offs only: 1 of the new fds repeat a shape or hold an ended connection\)/);
  // two descriptors of one file opened during load and kept: growth with the work done
  run.afterDrain = sample(2000, [root({ fds: [...stdFds(), fd(11, '/var/log/x.log'), fd(12, '/var/log/x.log')] })]);
  t.notOk(byId(run, 'fds-drained').pass, 'a repeated shape fails under the slack');
  // different lazily opened resources, one of each: excused
  run.afterDrain = sample(2000, [
    root({ fds: [...stdFds(), fd(11, '/var/log/x.log'), fd(12, '/etc/hosts'), fd(13, 'anon_inode:[eventfd]')] }),
  ]);
  t.ok(byId(run, 'fds-drained').pass, 'three one-offs within a slack of 4');
  // fd numbers reused with other targets but no growth: nothing kept
  run.afterDrain = sample(2000, [root({ fds: stdFds().map((f) => (f.fd === 10 ? fd(10, 'socket:[999]') : f)) })]);
  t.ok(byId(run, 'fds-drained').pass, 'no growth, nothing to judge');
});

t.test('fds-drained: a leftover socket says what it is — its TCP row, or gone from the TCP tables but still held', async (t) => {
  const run = clean();
  const fds = [...stdFds(), fd(11, 'socket:[901]'), fd(12, 'socket:[902]'), fd(13, 'socket:[903]'), fd(14, '/tmp/x')];
  // 901 is still in the TCP table (FIN_WAIT2, a lingering close); 902 and 903 are in neither table any more
  run.afterDrain = sample(2000, [root({ fds })], [sock('LISTEN', 500, 100, 10, 8080, 0), sock('FIN_WAIT2', 901, 100, 11, 8080, 50123)]);
  const r = byId(run, 'fds-drained');
  t.notOk(r.pass);
  t.match(r.summary, /; 2 new fds are sockets not in the TCP tables \(connections closed or reset but still held, or non-TCP sockets\)$/);
  const note = (n: number): string => {
    const e = r.evidence.find((x) => x.kind === 'fd' && x.fd === n);
    return e?.kind === 'fd' ? (e.note ?? '') : '';
  };
  t.match(note(11), /^TCP FIN_WAIT2 127\.0\.0\.1:8080 → 127\.0\.0\.1:50123; 9 fds now vs 5 at baseline$/);
  t.match(note(12), /^not in the TCP tables: a connection already closed or reset, still held \(or a UNIX\/UDP socket\); 9 fds/);
  t.match(note(14), /^9 fds now vs 5 at baseline$/, 'a file is just a file');
});

t.test('sockets-drained: CLOSE_WAIT and ESTABLISHED fail, LISTEN and internal pairs do not', async (t) => {
  const run = clean();
  run.afterDrain = sample(
    2000,
    [root()],
    [sock('LISTEN', 500, 100, 10, 8080, 0), sock('ESTABLISHED', 600, 100, 21, 9000, 9001), sock('ESTABLISHED', 601, 100, 22, 9001, 9000)],
  );
  t.ok(byId(run, 'sockets-drained').pass, 'both ends owned by the tree');
  run.afterDrain = sample(2000, [root()], [sock('CLOSE_WAIT', 700, 100, 30, 8080, 51000)]);
  const r = byId(run, 'sockets-drained');
  t.notOk(r.pass);
  t.match(r.evidence[0], {
    kind: 'socket',
    state: 'CLOSE_WAIT',
    pid: 100,
    fd: 30,
    local: '127.0.0.1:8080',
    remote: '127.0.0.1:51000',
    inode: 700,
    firstSeenMs: 555,
  });
  // a connection the target held before the load (a database connection opened at start) is not a leftover
  const db = sock('ESTABLISHED', 800, 100, 3, 36716, 39100);
  const run2 = clean();
  run2.baseline = sample(100, [root()], [sock('LISTEN', 500, 100, 10, 8080, 0), db]);
  run2.afterDrain = sample(2000, [root()], [sock('LISTEN', 500, 100, 10, 8080, 0), db]);
  t.ok(byId(run2, 'sockets-drained').pass, 'held since the baseline');
  run2.afterDrain = sample(2000, [root()], [db, sock('ESTABLISHED', 801, 100, 4, 36720, 39100)]);
  const r2 = byId(run2, 'sockets-drained');
  t.notOk(r2.pass, 'a second one opened under load is a leftover');
  t.same(
    r2.evidence.map((e) => (e as { inode?: number }).inode),
    [801],
  );
});

t.test('max-children: over the cap fails, no cap cannot be exceeded', async (t) => {
  const run = clean();
  run.peaks.children = 5;
  run.maxChildrenSample = sample(500, [root(), proc(201), proc(202), proc(203), proc(204), proc(205)]);
  const r = byId(run, 'max-children');
  t.notOk(r.pass);
  t.equal(r.evidence.length, 5);
  run.target.pool = { resident: 0, cap: Number.POSITIVE_INFINITY };
  t.ok(byId(run, 'max-children').pass);
});

t.test('clean-shutdown: code 0 or SIGTERM passes; strict demands 0; timeout, other codes and leftovers fail', async (t) => {
  const run = clean();
  run.shutdown.exit = { code: null, signal: 'SIGTERM', afterMs: 5 };
  t.ok(byId(run, 'clean-shutdown').pass);
  run.target.strictExit = true;
  t.notOk(byId(run, 'clean-shutdown').pass);
  run.target.strictExit = false;
  // 128 + SIGTERM (socat, JVMs): the conventional exit on SIGTERM
  run.shutdown.exit = { code: 143, signal: null, afterMs: 5 };
  t.ok(byId(run, 'clean-shutdown').pass, 'exit 143 after SIGTERM passes');
  run.target.strictExit = true;
  t.match(byId(run, 'clean-shutdown').summary, /with code 143 after SIGTERM \(--strict-exit demands 0\)/);
  run.target.strictExit = false;
  run.shutdown.exit = { code: 1, signal: null, afterMs: 5 };
  t.notOk(byId(run, 'clean-shutdown').pass);
  run.shutdown.exit = { code: 137, signal: null, afterMs: 5 };
  t.notOk(byId(run, 'clean-shutdown').pass, '128 + another signal is not SIGTERM');
  run.shutdown.exit = null;
  run.shutdown.escalated = true;
  t.match(byId(run, 'clean-shutdown').summary, /no exit within 5000 ms/);
  run.shutdown.exit = { code: 0, signal: null, afterMs: 5 };
  run.shutdown.leftovers = [proc(500, { ppid: 1, depth: -1 })];
  const r = byId(run, 'clean-shutdown');
  t.notOk(r.pass);
  t.ok(r.evidence.some((e) => e.kind === 'process' && e.pid === 500));
  // a root that ignores SIGTERM is not something it "left behind": named as what it is
  run.shutdown.exit = null;
  run.shutdown.leftovers = [root()];
  const ignored = byId(run, 'clean-shutdown');
  t.notOk(ignored.pass);
  t.equal(ignored.summary, 'no exit within 5000 ms of SIGTERM (SIGKILLed)', 'no "1 process left behind" for the root itself');
  t.match(ignored.evidence, [{ kind: 'process', pid: 100, note: /root ignored SIGTERM: still running 5000 ms later, then SIGKILLed/ }]);
  run.shutdown.leftovers = [root(), proc(501, { ppid: 100 })];
  const both = byId(run, 'clean-shutdown');
  t.match(both.summary, /SIGKILLed\); 1 process left behind$/);
  t.match(both.evidence[1], { kind: 'process', pid: 501, note: /still alive at the deadline/ });
});
