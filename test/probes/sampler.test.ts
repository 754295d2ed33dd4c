// The sampler against real process trees: children, fds, owned sockets, zombies, orphans. Every tree is
// started detached (its own process group) and killed by group on teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import t, { type Test } from 'tap';
import { Sampler } from '../../src/harness/probes/sampler.js';
import { processKey, type Sample } from '../../src/harness/probes/types.js';

const MARKER = 'HANDOFF_PROBE_TEST';
let runs = 0;

function startTree(t: Test, script: string, extraEnv: Record<string, string> = {}): { child: ChildProcess; marker: string } {
  const marker = `probe-${process.pid}-${++runs}`;
  const child = spawn('sh', ['-c', script], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...extraEnv, [MARKER]: marker },
  });
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return { child, marker };
}

/** Samples until `done` holds or the deadline passes; returns the last sample either way. */
async function sampleUntil(sampler: Sampler, done: (s: Sample) => boolean, deadlineMs = 15_000): Promise<Sample> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const s = sampler.sampleNow();
    if (done(s) || Date.now() > deadline) return s;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const liveChildren = (s: Sample): number => s.tree.filter((p) => p.depth >= 1 && p.state !== 'Z').length;

t.test('two sleeping children: counted, with fds; after the root dies they are orphans', async (t) => {
  const { child, marker } = startTree(t, 'sleep 30 & sleep 30 & wait');
  const sampler = new Sampler({ rootPid: child.pid!, marker: { name: MARKER, value: marker }, intervalMs: 100 });
  // a child caught between fork and exec still shows the parent's argv: wait for both execs
  const s = await sampleUntil(sampler, (s) => liveChildren(s) === 2 && s.tree.slice(1).every((p) => p.cmdline === 'sleep 30'));
  t.equal(liveChildren(s), 2, 'two live children');
  t.equal(s.tree[0]!.pid, child.pid, 'the root comes first');
  t.equal(s.tree[0]!.depth, 0);
  t.match(s.tree[0]!.cmdline, /^sh -c 'sleep 30 & sleep 30 & wait'$/);
  t.same(
    s.tree.slice(1).map((p) => [p.cmdline, p.depth, p.ppid]),
    [
      ['sleep 30', 1, child.pid],
      ['sleep 30', 1, child.pid],
    ],
  );
  const point = sampler.timeline.at(-1)!;
  t.equal(point.children, 2);
  t.equal(point.zombies, 0);
  t.equal(point.orphans, 0);
  t.ok(point.fds >= 9, `fds counted over the tree (${point.fds})`);
  t.equal(point.fds, point.fdsByKind.socket + point.fdsByKind.pipe + point.fdsByKind.file + point.fdsByKind.other);
  t.ok(point.fdsByKind.pipe >= 3, 'stdout pipe held by all three');
  t.ok(point.rssBytes > 0, 'rss summed');
  const sleeper = s.tree[1]!;
  t.type(sampler.firstSeen(processKey(sleeper)), 'number');
  t.type(sampler.firstSeen(`${processKey(sleeper)}#fd1=${sleeper.fds.find((f) => f.fd === 1)!.target}`), 'number');
  t.equal(sampler.firstSeen('nobody@0'), null);
  t.equal(sampler.peaks().children, 2);
  t.equal(liveChildren(sampler.maxChildrenSample()!), 2);

  // only the root dies: its children are reparented away, out of the tree: orphans
  process.kill(child.pid!, 'SIGKILL');
  const after = await sampleUntil(sampler, (s) => s.tree.length === 0 && s.orphans.length === 2);
  t.equal(after.tree.length, 0, 'root gone: empty tree');
  t.same(
    after.orphans.map((p) => p.cmdline),
    ['sleep 30', 'sleep 30'],
  );
  t.ok(after.orphans.every((p) => p.depth === -1 && p.ppid !== child.pid));
  t.equal(sampler.orphansSeen().length, 2);
  t.equal(sampler.timeline.at(-1)!.orphans, 2);
});

// perl (always on the machine) listens on loopback, connects to itself, forks a child that exits and is never
// waited for (a zombie), prints the port and sleeps. `sh -c 'sleep 31 &'` leaves a marked sleep behind (orphan).
const PERL = `
use IO::Socket::INET;
my $l = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp') or die "listen: $!";
my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $l->sockport, Proto => 'tcp') or die "connect: $!";
my $a = $l->accept or die "accept: $!";
$| = 1;
print $l->sockport, "\\n";
if (fork() == 0) { exit 0; }
sleep 30;
`;

t.test('sockets with owner pid/fd, a zombie and a marked orphan', async (t) => {
  const { child, marker } = startTree(t, `sleep 30 & perl -e "$PERL_SCRIPT" & sh -c 'sleep 31 &'; wait`, { PERL_SCRIPT: PERL });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const sampler = new Sampler({ rootPid: child.pid!, marker: { name: MARKER, value: marker }, intervalMs: 100 });
  const s = await sampleUntil(
    sampler,
    (s) => out.includes('\n') && s.tree.some((p) => p.state === 'Z') && s.orphans.length === 1 && s.sockets.length >= 3,
  );
  const port = Number(out.trim());
  t.ok(port > 0, `perl listens on ${port}`);

  const perl = s.tree.find((p) => p.cmdline.startsWith('perl') && p.state !== 'Z')!;
  t.ok(perl, 'perl in the tree');
  const listen = s.sockets.find((k) => k.state === 'LISTEN' && k.localPort === port);
  t.match(listen, { localAddress: '127.0.0.1', pid: perl.pid }, 'listener owned by perl');
  t.equal(perl.fds.find((f) => f.fd === listen?.fd)?.target, `socket:[${listen?.inode}]`, 'by the right fd');
  const established = s.sockets.filter((k) => k.state === 'ESTABLISHED');
  t.equal(established.length, 2, 'both ends of the self-connection');
  t.ok(established.every((k) => k.pid === perl.pid && (k.localPort === port || k.remotePort === port)));
  t.type(sampler.firstSeen(`sock:${listen?.inode}`), 'number');
  const point = sampler.timeline.at(-1)!;
  t.equal(point.sockets.LISTEN, 1);
  t.equal(point.sockets.ESTABLISHED, 2);
  t.ok(point.fdsByKind.socket >= 3);

  const zombie = s.tree.find((p) => p.state === 'Z')!;
  t.match(zombie, { ppid: perl.pid, depth: 2, fds: [] }, 'the unwaited fork is a zombie under perl');
  t.equal(point.zombies, 1);
  t.equal(point.children, liveChildren(s), 'zombies are not live children');

  t.equal(s.orphans.length, 1, 'one orphan');
  t.match(s.orphans[0], { cmdline: 'sleep 31', depth: -1 });
  t.not(s.orphans[0]!.ppid, child.pid);
  t.same(
    sampler.orphansSeen().map((p) => p.cmdline),
    ['sleep 31'],
  );
});

t.test('ignore patterns take a process and its subtree out everywhere', async (t) => {
  const { child, marker } = startTree(t, `sleep 32 & sh -c 'sleep 33; true' & sh -c 'sleep 34 &'; wait`);
  const sampler = new Sampler({
    rootPid: child.pid!,
    marker: { name: MARKER, value: marker },
    intervalMs: 100,
    // the ignored sh's own child (sleep 33) matches no pattern: it goes with its parent's subtree
    ignore: [/^sh -c 'sleep 33; true'$/, /sleep 34/],
  });
  const s = await sampleUntil(sampler, (s) => s.tree.some((p) => p.cmdline === 'sleep 32') && s.t > 300, 10_000);
  t.same(
    s.tree.slice(1).map((p) => p.cmdline),
    ['sleep 32'],
  );
  t.equal(sampler.timeline.at(-1)!.children, 1);
  const unfiltered = new Sampler({ rootPid: child.pid!, marker: { name: MARKER, value: marker }, intervalMs: 100 }).sampleNow();
  t.ok(
    unfiltered.tree.some((p) => p.cmdline === 'sleep 33' && p.depth === 2),
    'without the rule, the subtree is there',
  );
  t.ok(
    unfiltered.orphans.some((p) => p.cmdline === 'sleep 34'),
    'and so is the orphan',
  );
  t.same(s.orphans, [], 'the ignored orphan is not reported');
});

t.test('periodic sampling fills the timeline and stop() releases its /proc handles', async (t) => {
  const { child, marker } = startTree(t, 'sleep 30 & wait');
  // other tests' pipes close concurrently: count only descriptors open on /proc entries
  const procHandles = (): string[] =>
    readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith('/proc/') ? [target] : [];
      } catch {
        return [];
      }
    });
  const fdsBefore = procHandles();
  const sampler = new Sampler({ rootPid: child.pid!, marker: { name: MARKER, value: marker }, intervalMs: 50 });
  sampler.start();
  const deadline = Date.now() + 15_000;
  while ((sampler.timeline.length < 5 || sampler.latest()?.tree.length !== 2) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.ok(procHandles().length > fdsBefore.length, 'handles are kept while sampling');
  sampler.stop();
  const length = sampler.timeline.length;
  t.ok(length >= 5, `${length} points`);
  t.equal(sampler.errors, 0, String(sampler.lastError));
  t.equal(sampler.timeline.at(-1)!.children, 1);
  t.ok(
    sampler.timeline.every((p, i) => i === 0 || p.t >= sampler.timeline[i - 1]!.t),
    'time runs forward',
  );
  t.same(procHandles(), fdsBefore, 'no /proc handle left open');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(sampler.timeline.length, length, 'no sample after stop()');
});

t.test('a root that does not exist gives an empty tree, not an error', async (t) => {
  const sampler = new Sampler({ rootPid: 2 ** 22 + 1, marker: { name: MARKER, value: 'none' }, intervalMs: 100 });
  const s = sampler.sampleNow();
  t.same(s.tree, []);
  t.same(s.sockets, []);
  t.equal(sampler.timeline.at(-1)!.children, 0);
});

t.test('periodic (adaptive) samples see a late zombie and a child reparented away from an idle tree', async (t) => {
  // after ~1 s: perl forks a child that exits unwaited; the inner sh exits, leaving its sleep to init
  const { child, marker } = startTree(t, `perl -e 'sleep 1; if (fork() == 0) { exit 0 } sleep 30' & sh -c 'sleep 36 & sleep 1'; wait`);
  const sampler = new Sampler({ rootPid: child.pid!, marker: { name: MARKER, value: marker }, intervalMs: 50 });
  sampler.start();
  t.teardown(() => sampler.stop());
  const deadline = Date.now() + 15_000;
  const seen = () => sampler.timeline.some((p) => p.zombies === 1) && sampler.timeline.some((p) => p.orphans === 1);
  while (!seen() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  sampler.stop();
  t.equal(sampler.errors, 0, String(sampler.lastError));
  t.ok(
    sampler.timeline.some((p) => p.zombies === 1),
    'zombie in the timeline',
  );
  t.same(
    sampler.orphansSeen().map((p) => p.cmdline),
    ['sleep 36'],
    'the reparented sleep is an orphan',
  );
  t.ok(sampler.peaks().children >= 3, `peak children ${sampler.peaks().children}`);
});

t.test('a forking tree: RSS counts the shared pages in every process, PSS counts them once', async (t) => {
  // the parent dirties 64 MiB, then forks four children that only sleep: every page is shared five ways
  const script = `exec python3 -c '
import os, time, sys
block = bytearray(64 * 1024 * 1024)
for i in range(0, len(block), 4096): block[i] = 1
for _ in range(4):
    if os.fork() == 0:
        time.sleep(60); os._exit(0)
print("ready", flush=True)
time.sleep(60)
'`;
  const { child, marker } = startTree(t, script);
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const sampler = new Sampler({ rootPid: child.pid!, marker: { name: MARKER, value: marker }, intervalMs: 100 });
  const s = await sampleUntil(sampler, (s) => liveChildren(s) === 4);
  t.equal(liveChildren(s), 4, 'four children');
  const point = sampler.timeline.at(-1)!;
  const MiB = 1024 * 1024;
  t.ok(point.rssBytes >= 5 * 64 * MiB, `RSS sums the block five times (${Math.round(point.rssBytes / MiB)} MiB)`);
  t.ok(point.pssBytes !== null && point.pssBytes !== undefined, 'a full sample reads PSS');
  const pss = point.pssBytes!;
  t.ok(pss >= 64 * MiB && pss < 2 * 64 * MiB, `PSS counts it once (${Math.round(pss / MiB)} MiB)`);
  t.equal(sampler.peaks().pssBytes, pss, 'and is the peak so far');
  t.ok(sampler.stats.pssReads >= 1);

  // adaptive samples read it within their budget and carry it in between
  const reads = sampler.stats.pssReads;
  for (let i = 0; i < 5; i++) sampler.sample('adaptive');
  t.ok(sampler.stats.pssReads - reads <= 5, 'at most once per adaptive sample');
  t.ok(
    sampler.timeline.slice(-5).every((p) => typeof p.pssBytes === 'number' && p.pssBytes > 64 * MiB),
    'every point carries a PSS',
  );
});

t.test('a long run keeps a bounded timeline: the sampler folds what is older than its recent window', async (t) => {
  const { child, marker } = startTree(t, 'sleep 30 & wait');
  const limits = { maxPoints: 40, recentMs: 200 };
  const sampler = new Sampler({ rootPid: child.pid!, marker: { name: MARKER, value: marker }, intervalMs: 100, timelineLimits: limits });
  for (let i = 0; i < 200; i++) sampler.sampleNow();
  t.ok(sampler.timeline.length <= limits.maxPoints, `${sampler.timeline.length} points kept of 200 sampled (budget ${limits.maxPoints})`);
  t.ok(
    sampler.timeline.some((p) => p.bucketMs !== undefined),
    'older samples were folded into buckets',
  );
  t.ok(sampler.timeline.at(-1)!.bucketMs === undefined, 'the latest sample is kept as it was');
  const ts = sampler.timeline.map((p) => p.t);
  t.same(
    ts,
    [...ts].sort((a, b) => a - b),
    'still in time order',
  );
});

t.test("a zombie child of the run's orphan is the run's, though it was first seen dead (no environment to read)", async (t) => {
  // the daemon (marked, left the tree) never reaps its child; the sampler starts only once that child is a zombie
  const { child, marker } = startTree(t, `(setsid sh -c 'sleep 0.05 & exec sleep 31' &); sleep 30`);
  await new Promise((resolve) => setTimeout(resolve, 800));
  const sampler = new Sampler({ rootPid: child.pid!, marker: { name: MARKER, value: marker }, intervalMs: 100 });
  const s = await sampleUntil(sampler, (s) => s.orphans.some((p) => p.state === 'Z'), 3_000);
  const daemon = s.orphans.find((p) => p.cmdline === 'sleep 31');
  t.ok(daemon, 'the daemon is an orphan (it carries the marker)');
  const zombie = s.orphans.find((p) => p.state === 'Z');
  t.ok(zombie, `its zombie child is one too (orphans: ${s.orphans.map((p) => `${p.pid} ${p.state} ${p.cmdline}`).join(', ')})`);
  t.equal(zombie?.ppid, daemon?.pid, "the zombie's parent is the daemon");
  // the daemon left the tree's group: end it by its pid (the tree's teardown ends the group)
  if (daemon) process.kill(daemon.pid, 'SIGKILL');
});
