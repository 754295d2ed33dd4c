// Inputs an audit found turning into hangs, crashes, leaked targets or a false PASS, each now a usage error
// (exit 2, one line) raised before any target starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { checkNofile, parseHardNofile } from '../../src/harness/nofile.js';
import { parseSuite } from '../../src/harness/suite.js';
import { cliPath } from '../../src/paths.js';
import { MAX_DURATION_MS, parseDuration } from '../../src/util/duration.js';

const work = mkdtempSync(join(tmpdir(), 'handoff-usage-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [cliPath(), ...args], { encoding: 'utf8', timeout: 30_000, cwd: work });

function usageError(t: Test, args: string[], message: RegExp): void {
  const r = run(...args);
  t.equal(r.status, 2, `${args.join(' ')}: exit 2 (got ${r.status}${r.error ? `, ${r.error.message}` : ''})`);
  t.match(r.stderr, message);
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  t.notMatch(r.stderr, /listening|load …/, 'nothing was started');
}

t.test('a report directory that cannot be used is refused before the run (it used to hang on /proc)', async (t) => {
  const file = join(work, 'a-file');
  writeFileSync(file, '');
  usageError(
    t,
    ['stress', '--quiet', '--duration', '100ms', '--report-dir', '/proc/handoff-x'],
    /--report-dir \/proc\/handoff-x: cannot create/,
  );
  usageError(t, ['stress', '--quiet', '--duration', '100ms', '--report-dir', '/dev/null/x'], /ENOTDIR/);
  usageError(t, ['stress', '--quiet', '--duration', '100ms', '--report-dir', file], /is not a directory/);
  usageError(t, ['compare', '--strategy', 'inline', '--duration', '100ms', '--report-dir', join(file, 'x')], /--report-dir .*ENOTDIR/);
});

t.test('an empty --ignore pattern (it matches every process and hid every leak)', async (t) => {
  usageError(t, ['stress', '--quiet', '--fault', 'zombie', '--duration', '100ms', '--ignore', ''], /empty pattern/);
  const config = join(work, 'ignores.json');
  writeFileSync(config, JSON.stringify({ ignores: ['nscd', ' '] }));
  usageError(t, ['stress', '--quiet', '--duration', '100ms', '--config', config], /ignores\[1\]: an empty pattern/);
});

t.test('an --ignore pattern that matches the empty string matches every process too (issue 18)', async (t) => {
  for (const p of ['^', '.*', 'a*', '(?:)', 'x?$'])
    usageError(t, ['stress', '--quiet', '--duration', '100ms', '--ignore', p], /matches the empty string, so it would match every process/);
  const config = join(work, 'ignores-empty.json');
  writeFileSync(config, JSON.stringify({ ignores: ['nscd', '.*'] }));
  usageError(t, ['stress', '--quiet', '--duration', '100ms', '--config', config], /ignores\[1\]: ".\*" matches the empty string/);
});

t.test('--ignore takes one pattern per use: a command written after it stays the command', async (t) => {
  // with a variadic --ignore, "python3 x.py" became patterns and the reference proxy was tested instead
  usageError(
    t,
    ['stress', '--ignore', 'nscd', '--port', '5', 'python3', 'x.py'],
    /--port configures the reference proxy; it cannot be combined with a command target/,
  );
});

t.test('suite files are bounded like the flags that override them', async (t) => {
  const suite = (o: Record<string, unknown>) => () => parseSuite({ load: [{ generator: 'flood' }], ...o }, 'x.json', 'x');
  t.throws(
    suite({ connections: 100_000 }),
    /connections must be an integer from 1 to 1000/,
    'it ran the harness out of memory and left the target running',
  );
  t.throws(suite({ duration: '99h' }), /duration must be between 100ms and 1h/);
  t.throws(suite({ duration: 0 }), /duration must be between 100ms and 1h/);
  t.throws(suite({ drain: '2h' }), /drain must be between 0ms and 1h/);
  t.equal(suite({ connections: 1000, duration: '1h', warmup: 0 })().connections, 1000);
  const file = join(work, 'huge.json');
  writeFileSync(file, JSON.stringify({ duration: '200ms', connections: 100000, load: [{ generator: 'flood' }] }));
  usageError(t, ['stress', '--quiet', '--suite', file], /connections must be an integer from 1 to 1000/);
});

t.test('durations a timer cannot hold, and timeouts of 0', async (t) => {
  t.equal(parseDuration('596h'), 596 * 3_600_000);
  t.throws(() => parseDuration('600h', '--x'), /--x "600h" is too long/);
  t.throws(() => parseDuration(String(MAX_DURATION_MS + 1)), /too long/);
  t.throws(() => parseDuration('0', '--t', 1), /too short/);
  usageError(t, ['serve', '--upstream-timeout', '600h'], /--upstream-timeout "600h" is too long/);
  usageError(t, ['stress', '--quiet', '--drain', '2h'], /--drain must be at most 1h/);
});

t.test('--nofile is checked against what the target can get', async (t) => {
  const limits =
    'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n';
  t.equal(parseHardNofile(limits), 4096);
  t.equal(parseHardNofile(limits.replace('4096', 'unlimited')), null);
  t.throws(() => checkNofile(5000, false, 4096), /exceeds the hard descriptor limit 4096/);
  t.doesNotThrow(() => checkNofile(4096, false, 4096));
  t.throws(() => checkNofile(16, true, 4096), /too low for the reference proxy/, 'Node segfaulted at start under 16');
  t.doesNotThrow(() => checkNofile(16, false, 4096), 'a command target may be a small C server');
  usageError(t, ['stress', '--quiet', '--nofile', '16'], /too low for the reference proxy/);
  const hard = parseHardNofile(readFileSync('/proc/self/limits', 'utf8'));
  if (hard !== null) usageError(t, ['stress', '--quiet', '--nofile', String(hard + 1)], /exceeds the hard descriptor limit/);
});

t.test('proxy options that would disable themselves: a timeout of 0, an empty port list', async (t) => {
  usageError(t, ['serve', '--upstream-timeout', '0'], /--upstream-timeout "0" is too short \(at least 1 ms\)/);
  usageError(t, ['serve', '--headers-timeout', '0ms'], /--headers-timeout "0ms" is too short/);
  usageError(t, ['serve', '--tunnel-idle-timeout', '0'], /--tunnel-idle-timeout "0" is too short/);
  usageError(t, ['serve', '--connect-ports', ',,,'], /invalid --connect-ports ",,,"/);
});

t.test('parseNofileLimits reads both columns of /proc/<pid>/limits', async (t) => {
  const { parseNofileLimits } = await import('../../src/util/rlimit.js');
  t.same(parseNofileLimits('Max open files            1024                 4096                 files\n'), { soft: 1024, hard: 4096 });
  t.same(parseNofileLimits('Max open files            unlimited            unlimited            files\n'), { soft: null, hard: null });
  t.same(parseNofileLimits(''), { soft: null, hard: null });
});
