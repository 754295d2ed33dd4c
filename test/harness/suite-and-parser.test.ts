// Suite loading/validation and the churn client's response parser (pure parts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadSuite, parseSuite, suiteNames } from '../../src/harness/suite.js';
import { createGenerator } from '../../src/harness/load/index.js';
import { parseResponse } from '../../src/harness/load/http-response.js';
import { UsageError } from '../../src/util/errors.js';

t.test('shipped suites load and build their generators', async (t) => {
  for (const name of ['ci', 'flood', 'churn']) t.ok(suiteNames().includes(name), `${name} is shipped`);
  for (const name of suiteNames()) {
    const s = loadSuite(name);
    t.ok(s.load.length > 0, `${name} has load`);
    for (const [i, e] of s.load.entries()) t.ok(createGenerator(e, { durationMs: s.durationMs, connections: s.connections }, i).name);
  }
  t.equal(loadSuite('ci').durationMs, 1500);
});

t.test('a user suite file by path, and clear errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-suite-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'mine.json');
  writeFileSync(file, JSON.stringify({ duration: '2s', load: [{ generator: 'churn', rate: 5 }] }));
  const s = loadSuite(file);
  t.equal(s.name, 'mine');
  t.equal(s.durationMs, 2000);
  writeFileSync(file, '{ nope');
  t.throws(() => loadSuite(file), UsageError);
  t.throws(() => loadSuite('no-such-suite'), /unknown suite "no-such-suite" \(available: .*ci/);
  t.throws(() => parseSuite({ load: [{ generator: 'flood' }], durtion: '1s' }, 'x', 'x'), /unknown key "durtion"/);
  t.throws(() => parseSuite({ load: [] }, 'x', 'x'), /non-empty array/);
  t.throws(() => parseSuite({ load: [{ generator: 'flood' }], budget: { maxErrorRate: 2 } }, 'x', 'x'), /maxErrorRate/);
  t.throws(() => createGenerator({ generator: 'nuke' }, { durationMs: 1, connections: 1 }, 0), /generator must be one of/);
  t.throws(() => createGenerator({ generator: 'churn', eofBund: '1s' }, { durationMs: 1, connections: 1 }, 0), /unknown key "eofBund"/);
  t.throws(() => createGenerator({ generator: 'flood', connections: 0 }, { durationMs: 1, connections: 1 }, 0), /connections/);
});

t.test('response parser: framing by length, chunks, close; malformed heads', async (t) => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  t.match(parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel')), { kind: 'incomplete' });
  const done = parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
  t.equal(done.kind, 'complete');
  if (done.kind === 'complete') t.equal(done.body.toString(), 'hello');
  const chunked = parseResponse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'));
  t.equal(chunked.kind, 'complete');
  if (chunked.kind === 'complete') t.equal(chunked.body.toString(), 'abcde');
  t.match(parseResponse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab')), { kind: 'incomplete' });
  t.match(parseResponse(b('HTTP/1.0 200 OK\r\n\r\nuntil close')), { kind: 'until-eof' });
  t.match(parseResponse(b('HTTP/1.1 204 No Content\r\n\r\n')), { kind: 'complete' });
  t.match(parseResponse(b('SSH-2.0-OpenSSH\r\n\r\n')), { kind: 'malformed' });
  t.match(parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n')), { kind: 'malformed' });
});
