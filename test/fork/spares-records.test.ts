// The pure parts of --spares: reading the notify pipe's "<pid>\n" records, and telling an idle spare that failed
// from one that served a connection before its record was read.
import t from 'tap';
import { idleSpareFailed, parseTakenRecords } from '../../src/proxy/fork/spares.js';

t.test('parseTakenRecords: whole records out, the incomplete tail kept', async (t) => {
  t.same(parseTakenRecords(''), { pids: [], rest: '' });
  t.same(parseTakenRecords('123'), { pids: [], rest: '123' }, 'no newline yet: nothing complete');
  t.same(parseTakenRecords('123\n'), { pids: [123], rest: '' });
  t.same(parseTakenRecords('123\n456\n78'), { pids: [123, 456], rest: '78' });
  // a record split across two reads comes out whole once its tail arrives
  const first = parseTakenRecords('41\n9');
  t.same(first.pids, [41]);
  t.same(parseTakenRecords(`${first.rest}99\n`).pids, [999]);
  t.same(parseTakenRecords('0\n-5\nabc\n\n12\n').pids, [12], 'garbage and non-positive pids are dropped');
});

t.test('idleSpareFailed: only an exit other than 0 is a failure', async (t) => {
  t.equal(idleSpareFailed({ pid: 10, code: 0, signal: null }), false, 'served its connection, record not read yet');
  t.equal(idleSpareFailed({ pid: 10, code: 70, signal: null }), true, 'could not listen');
  t.equal(idleSpareFailed({ pid: 10, code: null, signal: 9 }), true, 'killed from outside');
  t.equal(idleSpareFailed({ pid: 10, code: null, signal: 15 }), true, 'terminated from outside');
});
