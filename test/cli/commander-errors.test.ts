// commander's own errors (unknown option or command, a missing value or argument) are usage errors like the rest:
// one `handoff: …` line on stderr and exit 2; help stays on stdout with exit 0.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../../src/paths.js';

const run = (...args: string[]) => spawnSync(process.execPath, [cliPath(), ...args], { encoding: 'utf8', timeout: 20_000 });

t.test('one handoff: line and exit 2', async (t) => {
  for (const [args, message] of [
    [['serve', '--no-such-flag'], /^handoff: unknown option '--no-such-flag'$/],
    [['stress', '--duration'], /^handoff: option '--duration <dur>' argument missing$/],
    [['bogus'], /^handoff: unknown command 'bogus'$/],
    [['report'], /^handoff: missing required argument 'run-dir'$/],
    [['allowlist', '--from', 'x'], /^handoff: required option '--expires <date>' not specified$/],
  ] as const) {
    const r = run(...args);
    t.equal(r.status, 2, args.join(' '));
    t.match(r.stderr.trim(), message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(r.stdout, '');
  }
});

t.test('help is not an error', async (t) => {
  const r = run('stress', '--help');
  t.equal(r.status, 0);
  t.match(r.stdout, /Usage: handoff stress/);
  t.equal(r.stderr, '');
});
