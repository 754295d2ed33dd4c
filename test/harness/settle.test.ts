// The baseline's "at rest": a worker caught mid-boot (runnable, or burning CPU, with the fds it has so far) is
// not at rest even when its fd count did not move between two samples; a resting tree is.
import t from 'tap';
import { atRest } from '../../src/harness/settle.js';
import type { ProcessSnapshot, Sample } from '../../src/harness/probes/types.js';

const proc = (pid: number, over: Partial<ProcessSnapshot> = {}): ProcessSnapshot => ({
  pid,
  starttime: pid * 10,
  ppid: 100,
  pgrp: 100,
  state: 'S',
  cmdline: 'node child.js',
  depth: 1,
  fds: [0, 1, 2, 3].map((n) => ({ fd: n, target: `pipe:[${n}]`, kind: 'pipe' as const, inode: n })),
  rssBytes: 1e6,
  cpuTicks: 50,
  ...over,
});
const sample = (t: number, tree: ProcessSnapshot[]): Sample => ({ t, tree, orphans: [], sockets: [] });
const root = proc(100, { depth: 0, ppid: 1, cmdline: 'node cli.js serve' });

t.test('a resting tree is at rest; a timer tick of CPU does not change that', async (t) => {
  t.ok(atRest(sample(0, [root, proc(101)]), sample(300, [root, proc(101, { cpuTicks: 52 })])));
});

t.test('a spare booting with 4 fds is not at rest though its fd count held', async (t) => {
  const a = sample(0, [root, proc(101)]);
  t.notOk(atRest(a, sample(300, [root, proc(101, { state: 'R' })])), 'runnable: starved of the CPU on a loaded machine');
  t.notOk(atRest(a, sample(300, [root, proc(101, { state: 'D' })])), 'waiting for the disk (paging its binary in)');
  t.notOk(atRest(a, sample(300, [root, proc(101, { cpuTicks: 58 })])), 'sleeping in the sample, but it used 80 ms of CPU since the last');
});

t.test('a changed tree or fd count is not at rest; a zombie is judged elsewhere', async (t) => {
  const a = sample(0, [root, proc(101)]);
  t.notOk(atRest(a, sample(300, [root])), 'a process went away');
  t.notOk(atRest(a, sample(300, [root, proc(102)])), 'another took its place (same count, another process)');
  t.notOk(atRest(a, sample(300, [root, proc(101, { fds: [] })])), 'its fd count moved');
  t.ok(atRest(a, sample(300, [root, proc(101, { state: 'Z', cpuTicks: 90 })])), 'a zombie does not run');
});
