import t from 'tap';
import { parseFdTarget } from '../../src/harness/probes/parse-fd-target.js';
import { fixture } from './fixtures.js';

t.test('captured fd links of a node process', async (t) => {
  const entries = fixture('node-fd-links.txt')
    .trim()
    .split('\n')
    .map((line) => {
      const space = line.indexOf(' ');
      return parseFdTarget(Number(line.slice(0, space)), line.slice(space + 1));
    });
  const byKind = (kind: string) => entries.filter((e) => e.kind === kind).length;
  t.equal(byKind('socket'), 6);
  t.equal(byKind('pipe'), 9);
  t.equal(byKind('file'), 5);
  t.equal(byKind('other'), 6, 'eventpoll and eventfd');
  t.equal(entries.length, 26);
  t.same(
    entries.find((e) => e.fd === 19),
    { fd: 19, target: 'socket:[13681]', kind: 'socket', inode: 13681 },
  );
  t.same(
    entries.find((e) => e.fd === 11),
    { fd: 11, target: 'pipe:[13210]', kind: 'pipe', inode: 13210 },
  );
});

t.test('each target form', async (t) => {
  t.same(parseFdTarget(3, 'anon_inode:[eventpoll]'), { fd: 3, target: 'anon_inode:[eventpoll]', kind: 'other', inode: null });
  t.same(parseFdTarget(4, 'anon_inode:inotify'), { fd: 4, target: 'anon_inode:inotify', kind: 'other', inode: null });
  t.same(parseFdTarget(5, 'net:[4026531840]'), { fd: 5, target: 'net:[4026531840]', kind: 'other', inode: null });
  t.same(parseFdTarget(6, '/tmp/a file (deleted)'), { fd: 6, target: '/tmp/a file (deleted)', kind: 'file', inode: null });
  t.same(parseFdTarget(7, '/dev/null'), { fd: 7, target: '/dev/null', kind: 'file', inode: null });
  t.equal(parseFdTarget(8, 'socket:[]').kind, 'other', 'malformed bracket');
});
