// --expect-status and config target.expectStatus: codes and classes (pure), and the error budget's hint.
import t from 'tap';
import { parseExpectStatus } from '../../src/harness/expect-status.js';
import { expectStatusHint } from '../../src/harness/checks/error-budget.js';
import { UsageError } from '../../src/util/errors.js';

t.test('codes and classes, comma-separated or listed', async (t) => {
  t.same(parseExpectStatus('404', 'x'), [404]);
  t.same(parseExpectStatus(' 404 , 200,404', 'x'), [200, 404]);
  const twoxx = parseExpectStatus('2XX', 'x');
  t.same([twoxx.length, twoxx[0], twoxx[99]], [100, 200, 299]);
  t.same(parseExpectStatus(['3xx', 200], 'x').slice(0, 2), [200, 300]);
  for (const bad of ['', '99', '600', '2x', 'ok', '200;404', '6xx']) {
    t.throws(() => parseExpectStatus(bad, '--expect-status'), UsageError, JSON.stringify(bad));
  }
  t.throws(() => parseExpectStatus('abc', '--expect-status'), /--expect-status: "abc" is not a status \(100-599\) or a class \(2xx\)/);
});

t.test('the hint: a command target, mostly one status, the same in every example', async (t) => {
  const ex = (...details: string[]) => details.map((detail) => ({ detail }));
  const hint = expectStatusHint(
    'command',
    90,
    100,
    ex('status 404 for token a', 'status 404 (local port 1, token b)', 'case garbage: expected 400, got close'),
  );
  t.match(hint, /the unexpected answers were 404: .*--expect-status 404$/);
  t.equal(
    expectStatusHint('reference-proxy', 90, 100, ex('status 404 for token a')),
    '',
    'not for the reference proxy: its answers are defined',
  );
  t.equal(expectStatusHint('command', 40, 100, ex('status 404 for token a')), '', 'not when errors and timeouts dominate');
  t.equal(expectStatusHint('command', 90, 100, ex('status 404 for token a', 'status 500 for token b')), '', 'not when the statuses differ');
  t.equal(expectStatusHint('command', 90, 100, ex('case garbage: expected 400, got close')), '', 'not from scripted cases alone');
});
