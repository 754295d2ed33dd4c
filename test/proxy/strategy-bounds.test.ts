// Upper bounds of the flags that make a strategy start processes eagerly: --workers (prefork, cluster) and
// --spares (per-connection, fork; never more than --max-children). Beyond them: a usage error, exit 2, one line —
// before anything is started.
import t from 'tap';
import { spawn } from 'node:child_process';
import { cliPath } from '../../src/paths.js';
import { MAX_CHILDREN, MAX_EAGER_PROCESSES, parseProxyFlags } from '../../src/proxy/parse-options.js';
import { DEFAULT_PROXY_OPTIONS } from '../../src/proxy/options.js';
import { createStrategy as createPerConnection } from '../../src/proxy/strategies/per-connection.js';
import { UsageError } from '../../src/util/errors.js';

// Every case is refused while parsing flags, so nothing listens or spawns. Should that regress, the CLI would
// start up to 100000 workers: it runs in its own process group, which is SIGKILLed on every path.
const groups = new Set<number>();
const killGroup = (pgid: number): void => {
  groups.delete(pgid);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
};
process.once('exit', () => [...groups].forEach(killGroup));

function run(...args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cliPath(), ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  const pgid = child.pid!;
  groups.add(pgid);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(pgid), 20_000);
    child.once('close', (status) => {
      clearTimeout(timer);
      killGroup(pgid);
      resolve({ status, stderr });
    });
  });
}

t.test('parsing: workers and spares within 0/1 … 256, spares within --max-children', async (t) => {
  t.equal(MAX_EAGER_PROCESSES, 256);
  t.equal(parseProxyFlags({ strategy: 'prefork', workers: '256' }).workers, 256, '--workers 256 is accepted');
  t.equal(parseProxyFlags({ strategy: 'cluster', workers: '1' }).workers, 1);
  t.throws(() => parseProxyFlags({ strategy: 'prefork', workers: '257' }), /invalid --workers "257" \(expected an integer from 1 to 256\)/);
  t.throws(() => parseProxyFlags({ strategy: 'cluster', workers: '100000' }), UsageError);
  t.equal(parseProxyFlags({ strategy: 'per-connection', spares: '64' }).spares, 64, '--spares equal to the default cap');
  t.equal(parseProxyFlags({ strategy: 'per-connection', spares: '256', maxChildren: '256' }).spares, 256);
  t.throws(() => parseProxyFlags({ strategy: 'per-connection', spares: '257', maxChildren: '1000' }), /invalid --spares "257"/);
  t.throws(() => parseProxyFlags({ strategy: 'per-connection', spares: '65' }), /--spares 65 exceeds --max-children 64/);
  t.equal(parseProxyFlags({ strategy: 'fork', maxChildren: String(MAX_CHILDREN) }).maxChildren, MAX_CHILDREN);
  t.throws(
    () => parseProxyFlags({ strategy: 'fork', maxChildren: String(MAX_CHILDREN + 1) }),
    /invalid --max-children "4097" \(expected an integer from 1 to 4096\)/,
  );
  t.throws(() => parseProxyFlags({ strategy: 'per-connection', spares: '9', maxChildren: '8' }), /--spares 9 exceeds --max-children 8/);
  t.throws(() => parseProxyFlags({ strategy: 'fork', spares: '9', maxChildren: '8' }), /--spares 9 exceeds --max-children 8/);
  // a suite's target has no strategy yet: checked once the CLI's strategy is merged in
  t.doesNotThrow(() => parseProxyFlags({ spares: '9', maxChildren: '8' }), 'no strategy: nothing to check yet');
});

t.test('per-connection refuses spares above the cap itself (programmatic API), instead of raising its cap', async (t) => {
  const options = { ...DEFAULT_PROXY_OPTIONS, strategy: 'per-connection' as const, spares: 9, maxChildren: 8 };
  t.throws(() => createPerConnection(options), /--spares 9 exceeds --max-children 8/);
  t.same(createPerConnection({ ...options, spares: 8 }).pool(), { resident: 8, cap: 16 }, 'at the bound: accepted');
});

t.test('CLI: exit 2 and one line, for serve and stress', async (t) => {
  for (const [args, message] of [
    [
      ['serve', '--strategy', 'prefork', '--workers', '100000'],
      /^handoff: invalid --workers "100000" \(expected an integer from 1 to 256\)$/,
    ],
    [['serve', '--strategy', 'prefork', '--workers', '257'], /invalid --workers "257"/],
    [['serve', '--strategy', 'cluster', '--workers', '100000'], /invalid --workers "100000"/],
    [['serve', '--strategy', 'per-connection', '--spares', '100000'], /invalid --spares "100000"/],
    [['serve', '--strategy', 'per-connection', '--spares', '65'], /^handoff: --spares 65 exceeds --max-children 64 /],
    [['serve', '--strategy', 'per-connection', '--spares', '5', '--max-children', '4'], /--spares 5 exceeds --max-children 4/],
    [
      ['stress', '--strategy', 'per-connection', '--spares', '9', '--max-children', '8', '--duration', '1s'],
      /--spares 9 exceeds --max-children 8/,
    ],
    [['stress', '--strategy', 'prefork', '--workers', '1000', '--duration', '1s'], /invalid --workers "1000"/],
  ] as const) {
    const r = await run(...args);
    const name = args.join(' ');
    t.equal(r.status, 2, `${name}: exit 2`);
    t.match(r.stderr.trim(), message, `${name}: ${r.stderr.trim()}`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
  }
});
