import t from 'tap';
import { forkedWithoutExec, parseStat } from '../../src/harness/probes/parse-stat.js';
import { captured, fixture } from './fixtures.js';

t.test('captured node stat', async (t) => {
  const stat = parseStat(fixture('node-stat.txt'));
  t.ok(stat);
  t.match(stat, {
    pid: captured.pid,
    comm: 'node',
    state: 'R',
    ppid: 8666,
    pgrp: 8666,
    session: 4621,
    starttime: 47420,
    utimeTicks: 2,
    stimeTicks: 0,
    numThreads: 7,
    rssPages: 10431,
    flags: 4194304,
  });
  t.notOk(forkedWithoutExec(stat!), "node was exec'd");
});

t.test('comm with ") (" and spaces: fields are read after the last ")"', async (t) => {
  const stat = parseStat(fixture('stat-comm-parens.txt'));
  t.ok(forkedWithoutExec(stat!), 'flags 4194368 carry PF_FORKNOEXEC (0x40)');
  t.match(stat, {
    pid: 4242,
    comm: 'we ird) (x',
    state: 'R',
    ppid: 1,
    pgrp: 4242,
    utimeTicks: 7,
    stimeTicks: 3,
    starttime: 123456,
    rssPages: 250,
  });
});

t.test('zombie', async (t) => {
  t.match(parseStat(fixture('stat-zombie.txt')), { pid: 4300, comm: 'sleep', state: 'Z', ppid: 1, rssPages: 0, flags: 4227084 });
});

t.test('truncated or garbage text is null, not an exception', async (t) => {
  t.equal(parseStat(''), null);
  t.equal(parseStat('4242 (node'), null);
  t.equal(parseStat('4242 (node) S 1 2 3'), null);
  t.equal(parseStat('abc (node) S 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0'), null);
});
