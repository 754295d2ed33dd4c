import t from 'tap';
import { parseLastPid } from '../../src/harness/probes/parse-loadavg.js';
import { mayBeNewPid } from '../../src/harness/probes/pid-allocation.js';
import { fixture } from './fixtures.js';

t.test('last allocated pid from /proc/loadavg', async (t) => {
  const text = fixture('loadavg.txt');
  t.equal(parseLastPid(text), Number(text.trim().split(' ')[4]));
  t.equal(parseLastPid('0.52 0.58 0.59 2/345 12345\n'), 12345);
  t.equal(parseLastPid(''), null);
  t.equal(parseLastPid('0.52 0.58 0.59'), null);
  t.equal(parseLastPid('0.52 0.58 0.59 x 12'), null);
});

t.test('pids allocated between two readings form a cyclic range', async (t) => {
  t.notOk(mayBeNewPid(500, 1000, 1000), 'nothing allocated');
  t.ok(mayBeNewPid(1001, 1000, 1010));
  t.ok(mayBeNewPid(1010, 1000, 1010));
  t.notOk(mayBeNewPid(1000, 1000, 1010), 'the previous last pid was already taken');
  t.notOk(mayBeNewPid(999, 1000, 1010));
  t.notOk(mayBeNewPid(1011, 1000, 1010));
  // wrapped past pid_max: 32760 → … → 32767 → 300 → … → 305
  t.ok(mayBeNewPid(32765, 32760, 305));
  t.ok(mayBeNewPid(301, 32760, 305));
  t.notOk(mayBeNewPid(4000, 32760, 305));
  t.notOk(mayBeNewPid(32760, 32760, 305));
  t.ok(mayBeNewPid(5, null, 10), 'unknown: anything may be new');
  t.ok(mayBeNewPid(5, 10, null));
});
