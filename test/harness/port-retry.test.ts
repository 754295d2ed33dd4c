// The port the harness picks is free when picked, not when the target binds it: on a busy machine another process
// may take it in between. A command target that exits with "Address already in use" is started again on another
// port (twice at most); any other failure to start is not retried.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { launchTarget } from '../../src/harness/target.js';
import { packageRoot } from '../../src/paths.js';
import { TargetStartError } from '../../src/util/errors.js';

const echo = join(packageRoot, 'test/harness/fixtures/echo-server.py');
const dir = mkdtempSync(join(tmpdir(), 'handoff-port-retry-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** a target that fails as a lost port would, `times` times, then serves */
const losesPort = (flag: string, times: number): string[] => [
  'sh',
  '-c',
  `n=$(cat "${flag}" 2>/dev/null || echo 0); if [ "$n" -lt ${times} ]; then echo $((n + 1)) > "${flag}"; echo "OSError: [Errno 98] Address already in use" >&2; exit 1; fi; exec python3 "${echo}" "$1"`,
  'target',
  '{port}',
];

t.test('a target that lost its port once is started again on another, and serves', async (t) => {
  const flag = join(dir, 'once');
  const target = await launchTarget({ kind: 'command', command: losesPort(flag, 1) }, { runId: 'port-retry-1', runDir: dir });
  t.teardown(async () => {
    await target.sweep({ graceMs: 500 });
    await target.dispose();
  });
  t.ok(target.port > 0, `listening on ${target.port}`);
  t.ok(existsSync(flag), 'the first start did fail');
});

t.test('a target that keeps losing it, or fails for another reason, is a failure to start', async (t) => {
  await t.rejects(
    launchTarget({ kind: 'command', command: losesPort(join(dir, 'always'), 99) }, { runId: 'port-retry-2', runDir: dir }),
    TargetStartError,
    'three starts, then the failure',
  );
  await t.rejects(
    launchTarget(
      { kind: 'command', command: ['sh', '-c', 'echo "no such config" >&2; exit 1', 'x', '{port}'] },
      { runId: 'port-retry-3', runDir: dir },
    ),
    { name: 'TargetStartError', context: { stderr: /no such config/ } },
  );
});
