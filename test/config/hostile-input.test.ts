// Input that once hung, crashed (exit 70) or slipped past validation: special files as --config/--suite, prototype
// names as keys, a --connections the default suite's case generators cannot take, numbers in a port list.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/parse.js';
import { loadSuite, parseSuite } from '../../src/harness/suite.js';
import { parseThresholds } from '../../src/gate/thresholds.js';
import { createGenerator } from '../../src/harness/load/index.js';
import { stress } from '../../src/api/stress.js';

const usage = (message: RegExp) => ({ name: 'UsageError', exitCode: 2, message });
const dir = mkdtempSync(join(tmpdir(), 'handoff-hostile-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test("--config and --suite read only a regular file of a config's size, never block", async (t) => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const big = join(dir, 'big.json');
  writeFileSync(big, ' '.repeat(2 * 1024 * 1024));
  for (const f of ['/dev/zero', fifo]) {
    t.throws(() => loadConfig(f), usage(/is not a regular file/), `config ${f}`);
    t.throws(() => loadSuite(f), usage(/is not a regular file/), `suite ${f}`);
  }
  t.throws(() => loadConfig(big), usage(/2097152 bytes: more than the 1048576/));
  t.throws(() => loadSuite(big), usage(/2097152 bytes: more than the 1048576/));
  t.throws(() => loadSuite(join(dir, 'missing.json')), usage(/suite file not found/));
});

t.test('prototype names are unknown names, not Object.prototype', async (t) => {
  for (const name of ['__proto__', 'constructor']) {
    t.throws(() => parseThresholds(JSON.parse(`{"${name}": "<1"}`)), usage(new RegExp(`unknown metric "${name}"`)), `threshold ${name}`);
    t.throws(
      () =>
        parseSuite({ load: [{ generator: name }] }, 's', 's').load.map((e, i) =>
          createGenerator(e, { durationMs: 100, connections: 1 }, i),
        ),
      usage(/generator must be one of/),
      `generator type ${name}`,
    );
  }
  t.throws(() => parseThresholds({ p99_ms: '<1constructor' }), usage(/unit "constructor" does not fit/));
  const entry = JSON.parse('{"generator": "churn", "__proto__": 1}') as Record<string, unknown>;
  t.throws(
    () => createGenerator(entry, { durationMs: 100, connections: 1 }, 0),
    usage(/unknown key "__proto__"/),
    'a __proto__ key is refused like any unknown key',
  );
  await t.rejects(
    stress(JSON.parse('{"strategy": "inline", "__proto__": {"x": 1}}')),
    usage(/unknown key "__proto__"/),
    'the API refuses it too, before anything starts',
  );
});

t.test('--connections reaches every generator up to its own cap', async (t) => {
  const abuse = createGenerator(
    { generator: 'abuse', connections: 1 },
    { durationMs: 100, connections: 1000, connectionsOverride: 1000 },
    0,
  );
  const flood = createGenerator(
    { generator: 'flood', connections: 4 },
    { durationMs: 100, connections: 1000, connectionsOverride: 1000 },
    1,
  );
  t.match(abuse, { config: { connections: 64 } }, 'a case generator takes its cap');
  t.match(flood, { config: { connections: 1000 } }, 'the flood takes all of it');
  t.throws(
    () => createGenerator({ generator: 'abuse', connections: 65 }, { durationMs: 100, connections: 1 }, 0),
    usage(/between 1 and 64/),
    "a suite's own value is still bounded",
  );
});

t.test('a port list may hold numbers, as JSON writes them', async (t) => {
  const c = parseConfig({ target: { strategy: 'inline', connectPorts: [443, '8443'] } }, 'c', dir);
  t.match(c, { targetFlags: { connectPorts: '443,8443' } });
  t.throws(
    () => parseConfig({ target: { strategy: 'inline', connectPorts: [443, { a: 1 }] } }, 'c', dir),
    usage(/connectPorts\[1\]: expected a string or a number/),
  );
});
