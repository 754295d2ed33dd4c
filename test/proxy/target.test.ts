// The absolute-form target split as written: the path and query a proxy must forward unchanged.
import t from 'tap';
import { splitAbsoluteTarget } from '../../src/proxy/target.js';

t.test('splitAbsoluteTarget keeps the path and query byte for byte', async (t) => {
  t.same(splitAbsoluteTarget('http://127.0.0.1:80/a/../b?q=%41'), {
    scheme: 'http',
    authority: '127.0.0.1:80',
    pathAndQuery: '/a/../b?q=%41',
  });
  t.equal(splitAbsoluteTarget('HTTP://h')?.pathAndQuery, '/', 'no path: /');
  t.equal(splitAbsoluteTarget('HTTP://h')?.scheme, 'http', 'the scheme is case-insensitive');
  t.equal(splitAbsoluteTarget('http://h?x=1')?.pathAndQuery, '/?x=1', 'a query alone gets its /');
  t.equal(splitAbsoluteTarget('http://h/p#frag')?.pathAndQuery, '/p', 'a fragment is not part of the target');
  t.equal(splitAbsoluteTarget('http:///p')?.authority, '', 'an empty authority is reported as empty');
  t.equal(splitAbsoluteTarget('/origin-form'), null);
  t.equal(splitAbsoluteTarget('127.0.0.1:80'), null, 'authority-form is not absolute-form');
});
