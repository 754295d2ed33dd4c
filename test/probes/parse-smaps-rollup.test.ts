import t from 'tap';
import { parsePssBytes } from '../../src/harness/probes/parse-smaps-rollup.js';

// a Node child forked from a zygote (kernel 6.18): Rss counts the pages it shares, Pss its share of them
const FORKED_CHILD = `00400000-7ffc2d3f2000 ---p 00000000 00:00 0                          [rollup]
Rss:               61236 kB
Pss:                3411 kB
Pss_Dirty:          1602 kB
Pss_Anon:           1598 kB
Pss_File:           1813 kB
Pss_Shmem:             0 kB
Shared_Clean:      38924 kB
Shared_Dirty:      20704 kB
Private_Clean:        28 kB
Private_Dirty:      1580 kB
Referenced:        61236 kB
Anonymous:         22284 kB
`;

t.test('Pss in bytes, not one of the Pss_* breakdown lines', async (t) => {
  t.equal(parsePssBytes(FORKED_CHILD), 3411 * 1024);
  t.equal(parsePssBytes(FORKED_CHILD.replace(/^Pss: .*\n/m, '')), null, 'only the breakdown: no total');
});

t.test('not a smaps_rollup: null', async (t) => {
  t.equal(parsePssBytes(''), null);
  t.equal(parsePssBytes('Rss: 100 kB\n'), null);
  t.equal(parsePssBytes('Pss: lots kB\n'), null);
});

t.test('the running process: a positive Pss no larger than its Rss', async (t) => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync('/proc/self/smaps_rollup', 'utf8');
  const pss = parsePssBytes(text);
  const rss = Number(/^Rss:\s+(\d+) kB$/m.exec(text)![1]) * 1024;
  t.ok(pss !== null && pss > 0 && pss <= rss, `pss ${pss} rss ${rss}`);
});
