// Token checks against an echoing server (--echo): cross-talk must be named as such, and a token that merely
// starts with the expected one is another request's.
import t from 'tap';
import { checkEchoedToken, checkToken } from '../../src/harness/load/flood.js';

t.test('checkEchoedToken reads each echoed token whole', async (t) => {
  t.equal(checkEchoedToken('/t/abcd-flood-1', 'abcd-flood-1'), 'ok');
  t.equal(checkEchoedToken('GET /t/abcd-flood-1?size=0 HTTP/1.1', 'abcd-flood-1'), 'ok', 'a query after it');
  t.equal(checkEchoedToken('{"path":"/t/abcd-flood-1"}', 'abcd-flood-1'), 'ok');
  t.equal(checkEchoedToken('/t/abcd-flood-1k', 'abcd-flood-1'), 'wrong-token', 'a longer token of this run is another request');
  t.equal(checkEchoedToken('/t/abcd-flood-2', 'abcd-flood-1'), 'wrong-token', 'cross-talk is named');
  t.equal(checkEchoedToken('/t/abcd-churn-9 /t/abcd-flood-1', 'abcd-flood-1'), 'ok', 'its own among others');
  t.equal(checkEchoedToken('hello', 'abcd-flood-1'), 'missing-token');
  t.equal(checkEchoedToken('/t/zzzz-flood-1', 'abcd-flood-1'), 'missing-token', 'not a token of this run');
  t.equal(checkEchoedToken('token abcd-flood-1 seen', 'abcd-flood-1'), 'ok', 'echoed without its path, whole');
  t.equal(checkEchoedToken('token abcd-flood-12 seen', 'abcd-flood-1'), 'missing-token', 'only as part of a longer one');
  t.equal(checkEchoedToken('/t/abcd-flood%2D1', 'abcd-flood-1'), 'ok', 'percent-encoded');
  t.equal(checkToken('/t/abcd-flood-1k', 'abcd-flood-1', false), 'wrong-token', 'checkToken uses it in server mode');
});
