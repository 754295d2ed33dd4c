import t from 'tap';
import { lineSplitter } from '../../src/util/line-splitter.js';

t.test('lines split across chunks come out whole, in order; the partial tail waits', (t) => {
  const lines: string[] = [];
  const feed = lineSplitter((l) => lines.push(l));
  feed('a\nb');
  t.same(lines, ['a']);
  feed('c\n\nd\ne');
  t.same(lines, ['a', 'bc', '', 'd']);
  feed('\n');
  t.same(lines, ['a', 'bc', '', 'd', 'e']);
  t.end();
});

t.test('a partial line over maxPending is dropped after onOverflow sees it; later lines still come', (t) => {
  const lines: string[] = [];
  const overflow: string[] = [];
  const feed = lineSplitter((l) => lines.push(l), { maxPending: 4, onOverflow: (p) => overflow.push(p) });
  feed('abcdef');
  t.same(overflow, ['abcdef']);
  feed('gh\nok\n');
  t.same(lines, ['gh', 'ok'], 'the dropped prefix is not glued onto the next line');
  t.end();
});
