// The target's logs are bounded (issue 18): head and tail kept with a line saying what was cut, and a write
// error (a full disk: /dev/full) stops the logging and is reported instead of crashing the harness.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CappedLog } from '../../src/harness/capped-log.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-log-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('under the cap: every byte, in order, not truncated', async (t) => {
  const log = new CappedLog(join(dir, 'a.log'), 100);
  for (let i = 0; i < 9; i++) log.write(Buffer.from(`${i}abcdefghi`));
  const r = log.close();
  t.same(r, { bytes: 90, kept: 90, truncated: false, error: null });
  t.equal(readFileSync(join(dir, 'a.log'), 'utf8'), Array.from({ length: 9 }, (_, i) => `${i}abcdefghi`).join(''));
});

t.test('over the cap: the head, a cut line, the tail', async (t) => {
  const log = new CappedLog(join(dir, 'b.log'), 100);
  const all = Buffer.from(Array.from({ length: 1000 }, (_, i) => String.fromCharCode(65 + (i % 26))).join(''));
  for (let i = 0; i < all.length; i += 7) log.write(all.subarray(i, i + 7));
  const r = log.close();
  t.equal(r.bytes, 1000);
  t.equal(r.truncated, true);
  const text = readFileSync(join(dir, 'b.log'), 'latin1');
  t.ok(text.startsWith(all.subarray(0, 50).toString('latin1')), 'the first 50 bytes');
  t.ok(text.endsWith(all.subarray(950).toString('latin1')), 'the last 50 bytes');
  t.match(text, /\[handoff: 900 bytes cut here: this log keeps the first 50 and the last 50 of the 1000 bytes/);
  t.equal(r.kept, Buffer.byteLength(text, 'latin1'));
});

t.test('a full disk stops the logging and says so', async (t) => {
  const log = new CappedLog('/dev/full', 1 << 20);
  log.write(Buffer.alloc(10_000, 65));
  log.write(Buffer.alloc(10_000, 65));
  const r = log.close();
  t.equal(r.bytes, 20_000, 'what the target wrote is still counted');
  t.equal(r.kept, 0);
  t.match(r.error, /ENOSPC/);
});
