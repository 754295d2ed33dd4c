// The exit of a process that is not the harness's child (an --attach root), on both paths: the pidfd (an event:
// seen in the first turn of the event loop after the exit, no timer involved) and the /proc poll (the fallback).
// Each watches a process whose parent is a perl that never reaps it, so "exited" means "a zombie of its own
// parent", as for an attached server; signals go to that process only, and to nothing once it is reaped.
import { spawn } from 'node:child_process';
import t from 'tap';
import { watchExit, type ExitWatch } from '../../src/harness/exit-watch.js';
import { readStat } from '../../src/harness/probes/proc-reader.js';
import { pidfdUnavailableReason } from './pidfd-available.js';
import { pollUntil } from '../helpers/proxy-process.js';

/** A `sleep 30` whose parent (a perl, in its own group, ended in teardown) never reaps it. */
async function unreapedSleeper(t: { teardown(fn: () => void): void }): Promise<{ pid: number; starttime: number; parent: number }> {
  const parent = spawn('perl', ['-e', '$|=1; my $p = fork; if (!$p) { exec "sleep", "30" } print "$p\\n"; sleep 30'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  t.teardown(() => {
    try {
      process.kill(-parent.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const line = await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
  const pid = Number(line.trim());
  await pollUntil(() => readStat(pid)?.comm === 'sleep', 5_000);
  return { pid, starttime: readStat(pid)!.starttime, parent: parent.pid! };
}

/** Blocks until pid is a zombie: no timer of the harness can fire meanwhile. */
function spinUntilZombie(pid: number): void {
  const until = Date.now() + 10_000;
  while (readStat(pid)?.state !== 'Z' && Date.now() < until);
}

const settled = (p: Promise<unknown>): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);

for (const prefer of ['pidfd', 'proc-poll'] as const) {
  const unavailable = prefer === 'pidfd' ? pidfdUnavailableReason() : null;
  const title = `${prefer}: a zombie of its own parent counts as exited; signals reach it only while it is the same process`;
  t.test(title, { skip: unavailable ?? false }, async (t) => {
    const p = await unreapedSleeper(t);
    const watch = watchExit(p.pid, p.starttime, { prefer }) as ExitWatch;
    t.teardown(() => watch.close());
    t.equal(watch.how, prefer, watch.fallbackReason ?? '');
    t.equal(watchExit(p.pid, p.starttime + 1, { prefer }), null, 'another start time is another process: not watched');
    t.equal(watchExit(999_999_999, 0, { prefer }), null, 'no such process');

    t.ok(watch.signal('SIGCONT'), 'a signal reaches it while it runs');
    await new Promise((r) => setTimeout(r, 120));
    t.notOk(await settled(watch.exited), 'not exited while it runs');
    t.ok(watch.signal('SIGKILL'));
    spinUntilZombie(p.pid);
    t.equal(readStat(p.pid)?.state, 'Z', 'it is a zombie of its own parent');
    if (prefer === 'pidfd') {
      // the pidfd became readable at the exit: the next poll phase of the loop delivers it, before any timer
      t.ok(await settled(watch.exited), 'seen in the first loop turn after the exit');
    }
    const ms = await watch.exited;
    t.comment(`${prefer}: exit seen ${ms} ms after the watch began`);

    process.kill(p.parent, 'SIGKILL'); // the zombie is reparented and reaped: the pid is free for reuse
    const reaped = await pollUntil(() => readStat(p.pid) === null || readStat(p.pid)!.starttime !== p.starttime, 5_000);
    // (an init that does not reap, as in some containers, leaves the zombie: nothing to check then)
    if (reaped) t.notOk(watch.signal('SIGTERM'), 'once reaped, a signal reaches nothing (never a process that reused the pid)');
    else t.comment('the orphaned zombie was not reaped by init here: the after-reap signal is not checked');
  });
}

t.test('the fallback says why it is the fallback', async (t) => {
  const p = await unreapedSleeper(t);
  const watch = watchExit(p.pid, p.starttime, { prefer: 'proc-poll' })!;
  t.teardown(() => watch.close());
  t.equal(watch.fallbackReason, 'asked for');
  const preferred = watchExit(p.pid, p.starttime)!;
  t.teardown(() => preferred.close());
  t.equal(preferred.how, pidfdUnavailableReason() ? 'proc-poll' : 'pidfd', preferred.fallbackReason ?? 'a pidfd');
});
