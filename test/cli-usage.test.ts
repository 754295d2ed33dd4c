import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../src/paths.js';

const run = (...args: string[]) => spawnSync(process.execPath, [cliPath(), ...args], { encoding: 'utf8', timeout: 20_000 });

t.test('unknown strategy is a usage error (exit 2, one line)', async (t) => {
  const r = run('serve', '--strategy', 'bogus');
  t.equal(r.status, 2);
  t.match(r.stderr, /unknown strategy "bogus"/);
  t.equal(r.stderr.trim().split('\n').length, 1);
});

t.test('unknown flag is a usage error', async (t) => {
  const r = run('serve', '--no-such-flag');
  t.equal(r.status, 2);
});

t.test('bad port is a usage error', async (t) => {
  const r = run('serve', '--port', '70000');
  t.equal(r.status, 2);
  t.match(r.stderr, /invalid port/);
});

t.test('--version prints the version', async (t) => {
  const r = run('--version');
  t.equal(r.status, 0);
  t.match(r.stdout, /^\d+\.\d+\.\d+/);
});

t.test('a strategy option the chosen strategy would ignore is a usage error (serve and stress)', async (t) => {
  for (const args of [
    ['serve', '--strategy', 'inline', '--workers', '4'],
    ['serve', '--strategy', 'fork', '--handoff', 'stdio'],
    ['serve', '--strategy', 'cluster', '--max-connections-per-child', '10'],
    ['serve', '--max-children', '8'], // the default strategy is inline
    ['stress', '--strategy', 'prefork', '--spares', '2', '--duration', '1s'],
  ]) {
    const r = run(...args);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, /does not apply to --strategy \S+ \(only to /, r.stderr.trim());
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});
