import t from 'tap';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, mergeStressInvocation, gateOf } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/parse.js';
import { applyGate } from '../../src/gate/apply.js';
import { fixture } from '../report/fixtures.js';

const temp = (t: { teardown(fn: () => void): void }): string => {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const FULL = {
  $schema: './handoff.schema.json',
  suite: 'ci',
  suites: { mine: './suites/mine.json', inline: { generators: [{ kind: 'flood', duration: '2s' }] } },
  target: { strategy: 'per-connection', handoff: 'stdio', spares: 2, maxChildren: '32', allowHost: ['a.test', 'b.test'], strictExit: true },
  run: { duration: '5s', connections: 10, drain: '3s', sampleHz: 20 },
  report: { dir: 'out/reports', formats: ['md', 'html'] },
  thresholds: { p99_ms: '<250', error_rate: '<0.01', peak_children: '<=64', time_to_quiet_ms: '<2000' },
  ignores: ['^/usr/sbin/nscd'],
  allowList: [{ check: 'no-zombies', match: 'defunct', reason: 'JIRA-9', expires: '2030-01-01' }],
};

t.test('loads a full config file; relative paths resolve against its directory', async (t) => {
  const dir = temp(t);
  mkdirSync(join(dir, 'ci'));
  const file = join(dir, 'ci', 'handoff.config.json');
  writeFileSync(file, JSON.stringify(FULL));
  const config = loadConfig('ci/handoff.config.json', dir);
  t.equal(config.source, file);
  t.equal(config.suite, 'ci');
  t.same(config.suites, { mine: join(dir, 'ci', 'suites', 'mine.json'), inline: FULL.suites.inline });
  t.same(config.targetFlags, {
    strategy: 'per-connection',
    handoff: 'stdio',
    spares: '2',
    maxChildren: '32',
    allowHost: 'a.test,b.test',
    strictExit: true,
  });
  t.equal(config.command, null);
  t.same(config.runFlags, { duration: '5s', connections: '10', drain: '3s', sampleHz: '20' });
  t.same(config.report, { dir: join(dir, 'ci', 'out', 'reports'), formats: ['json', 'md', 'html'] });
  t.same(
    config.thresholds.map((x) => `${x.metric}${x.expr}`),
    ['p99_ms<250', 'error_rate<0.01', 'peak_children<=64', 'time_to_quiet_ms<2000'],
  );
  t.same(config.ignores, ['^/usr/sbin/nscd']);
  t.equal(config.allowList[0].check, 'no-zombies');

  const gated = applyGate(fixture('pass'), gateOf(config), new Date('2026-11-01T00:00:00Z'));
  t.equal(gated.verdict, 'pass');
  t.equal(gated.thresholds!.length, 4);
});

t.test('no --config and no ./handoff.config.json: empty defaults; with one present it is used', async (t) => {
  const dir = temp(t);
  const empty = loadConfig(undefined, dir);
  t.equal(empty.source, null);
  t.same(empty.thresholds, []);
  writeFileSync(join(dir, 'handoff.config.json'), JSON.stringify({ thresholds: { p99_ms: '<1' } }));
  const found = loadConfig(undefined, dir);
  t.equal(found.source, join(dir, 'handoff.config.json'));
  t.equal(found.thresholds.length, 1);
});

t.test('every problem is a UsageError (exit 2) that names the key', async (t) => {
  const dir = temp(t);
  t.throws(() => loadConfig('missing.json', dir), { name: 'UsageError', message: /config file missing\.json not found/ });
  writeFileSync(join(dir, 'broken.json'), '{ "thresholds": ');
  t.throws(() => loadConfig('broken.json', dir), { name: 'UsageError', message: /broken\.json is not valid JSON/ });

  const cases: [unknown, RegExp][] = [
    [[], /expected an object/],
    [{ tresholds: {} }, /unknown key "tresholds" \(expected one of/],
    [{ target: { strategy: 'inline', port: 8080 } }, /target: "port" and "shutdown" apply to "attach"/],
    [{ target: { strategy: 'threads' } }, /target: unknown strategy "threads"/],
    [{ target: { strategy: 'prefork', workers: 0 } }, /target: invalid --workers "0"/],
    [{ target: { strategy: 'inline', command: ['x'] } }, /either "strategy" .* or "command", not both/],
    [{ target: { command: [] } }, /target.command: empty/],
    [{ target: { command: ['python3', 3] } }, /target.command: expected a list of strings/],
    [{ target: { mode: 'tunnel' } }, /target.mode: expected "proxy" or "server"/],
    [{ target: { echo: 'yes' } }, /target.echo: expected true or false/],
    [{ target: { expectStatus: [200, '9xx'] } }, /target.expectStatus: "9xx" is not a status/],
    [{ target: { command: 'x {port}', readyTimeout: 'soon' } }, /target\.readyTimeout "soon" \(expected e\.g\. 500ms/],
    [{ target: { expectStatus: { ok: 200 } } }, /target.expectStatus: expected a list of statuses/],
    [{ target: { cap: -1 } }, /invalid target.cap|target.cap/],
    [{ run: { duration: 'soon' } }, /invalid .*run.duration "soon"/],
    [{ run: { connections: 0 } }, /run.connections/],
    [{ run: { rate: 5 } }, /run: unknown key "rate"/],
    // the flags' bounds hold in a config too, named by its key (they used to say "--connections")
    [{ run: { connections: 100000 } }, /: run\.connections must be at most 1000/],
    [{ run: { duration: '50ms' } }, /: run\.duration must be between 100ms and 1h/],
    [{ run: { drain: '2h' } }, /: run\.drain must be at most 1h/],
    [{ run: { sampleHz: 500 } }, /: run\.sampleHz must be between 1 and 100/],
    [{ report: { formats: ['pdf'] } }, /report.formats: unknown report format "pdf"/],
    [{ report: { path: 'x' } }, /report: unknown key "path"/],
    [{ thresholds: { p99: '<250' } }, /thresholds: unknown metric "p99" \(did you mean p99_ms\?\)/],
    [{ thresholds: { p99_ms: 'fast' } }, /thresholds\.p99_ms: malformed threshold "fast"/],
    [{ ignores: ['('] }, /ignores\[0\]: invalid regular expression/],
    [{ ignores: 'nscd' }, /ignores: expected a list of strings/],
    [
      { allowList: [{ check: 'no-zombies', match: 'x', reason: 'r', expires: '2030-01-01', until: 'x' }] },
      /allowList\[0\]: unknown key "until"/,
    ],
    [{ suites: { 'bad name': {} } }, /invalid suite name "bad name"/],
    [{ suites: { ok: 3 } }, /suites.ok: expected a file path or a suite object/],
    [{ suite: 7 }, /suite: expected a suite name/],
  ];
  for (const [raw, message] of cases) {
    t.throws(() => parseConfig(raw, 'handoff.config.json', dir), { name: 'UsageError', message, exitCode: 2 }, JSON.stringify(raw));
  }
});

t.test('command targets: a list or a string, with mode and pool', async (t) => {
  const config = parseConfig(
    {
      target: {
        command: 'python3 server.py --port {port}',
        mode: 'server',
        echo: true,
        pool: 0,
        cap: 8,
        nofile: 256,
        expectStatus: ['2xx', 404],
        readyTimeout: '1m',
      },
    },
    'c',
    '/x',
  );
  t.same(config.command, ['python3', 'server.py', '--port', '{port}']);
  t.same(config.targetFlags, {
    mode: 'server',
    echo: true,
    expectStatus: '2xx,404',
    pool: '0',
    cap: '8',
    nofile: '256',
    readyTimeout: '1m',
  });
});

t.test('merging under the command line: CLI wins, ignores add up, a CLI target replaces the config target', async (t) => {
  const config = parseConfig(
    {
      suite: 'flood',
      target: { command: ['./srv', '{port}'], mode: 'server', cap: 4 },
      run: { duration: '5s', connections: 10 },
      report: { formats: 'md' },
      ignores: ['nscd'],
    },
    'c',
    '/work',
  );
  const plain = mergeStressInvocation(config, { duration: '2s', ignore: ['sshd'], drain: undefined });
  t.same(plain.flags, {
    mode: 'server',
    cap: '4',
    duration: '2s',
    connections: '10',
    suite: 'flood',
    format: 'json,md',
    ignore: ['nscd', 'sshd'],
  });
  t.same(plain.command, ['./srv', '{port}']);

  const strategy = mergeStressInvocation(config, { strategy: 'inline' });
  t.same(strategy.command, [], '--strategy on the CLI drops the config command');
  t.equal(strategy.flags.mode, undefined, "and the config target's options");
  t.equal(strategy.flags.strategy, 'inline');

  const cmd = mergeStressInvocation(config, {}, ['node', 'other.js']);
  t.same(cmd.command, ['node', 'other.js']);
});

t.test('a switch (public) is a JSON boolean; "true"/"false" still read; anything else names the key', async (t) => {
  const target = (pub: unknown) => parseConfig({ target: { strategy: 'inline', public: pub } }, 'c', '/x').targetFlags;
  t.match(target(true), { public: 'true' });
  t.match(target(false), { public: 'false' });
  t.match(target('true'), { public: 'true' });
  t.throws(() => target(1), { name: 'UsageError', message: /c: target\.public: expected true or false/ });
});
