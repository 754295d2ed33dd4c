// `handoff report <run-dir>` on bad input: a report.json of the right schema but wrong inner types, write
// errors in the run directory, and paths that are not a regular file. Each is one line on stderr and exit 2,
// nothing written — never a stack trace, exit 70 or a hang. Plus the validator itself (reportProblems).
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/model/report.js';
import { reportProblems } from '../../src/report/validate.js';
import { asReport, MAX_REPORT_BYTES } from '../../src/report/read.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJunit } from '../../src/report/junit.js';
import { cliPath } from '../../src/paths.js';
import { fixture } from './fixtures.js';

const temp = (t: { teardown(fn: () => void): void }): string => {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-rerender-'));
  t.teardown(() => {
    try {
      chmodSync(dir, 0o755);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
};

/** Runs `handoff report ...args`; a hang shows up as status null (killed by the timeout). */
const report = (...args: string[]) =>
  spawnSync(process.execPath, [cliPath(), 'report', ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
    env: { ...process.env, GITHUB_STEP_SUMMARY: '' },
  });

/** The one-line, exit-2 contract. */
function usageError(t: Test, r: ReturnType<typeof report>, pattern: RegExp): void {
  t.equal(r.status, 2, `exit 2 (stderr: ${r.stderr.slice(0, 300)})`);
  t.equal(r.stderr.split('\n').filter(Boolean).length, 1, 'one line on stderr');
  t.match(r.stderr, /^handoff: /);
  t.notMatch(r.stderr, /internal error|\n\s+at /, 'no stack trace');
  t.match(r.stderr, pattern);
}

/** The failing fixture with every optional part present: thresholds, allow-list, a waived check, odd evidence. */
function richReport(): Report {
  const r = fixture('fail');
  r.timeline = r.timeline.slice(0, 3);
  r.thresholds = [
    { metric: 'p99_ms', expr: '<250', value: 5002.27, pass: false },
    { metric: 'time_to_quiet_ms', expr: '<2000', value: null, pass: false },
  ];
  r.allowList = [
    { check: 'sockets-drained', match: 'CLOSE_WAIT', reason: 'known', expires: '2099-12-31', expired: false, matched: 8 },
    { check: 'no-zombies', match: 'x', reason: 'old', expires: '2000-01-01', expired: true, matched: 0 },
  ];
  const sockets = r.checks.find((c) => c.id === 'sockets-drained')!;
  sockets.allowedBy = { reason: 'known', expires: '2099-12-31' };
  sockets.evidence.push({
    kind: 'socket',
    pid: null,
    fd: null,
    local: '127.0.0.1:1',
    remote: '127.0.0.1:2',
    state: 'CLOSE_WAIT',
    inode: 1,
    firstSeenMs: null,
  });
  r.peaks.pssBytes = null;
  r.target.exit = { code: null, signal: 'SIGTERM', afterMs: null };
  return r;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

type Path = (string | number)[];

/** Every path in a JSON value (objects and arrays included), parents before children. */
function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) out.push([...prefix, i], ...paths(v, [...prefix, i]));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...paths(v, [...prefix, k]));
  return out;
}

function mutate(root: unknown, path: Path, replacement: unknown): unknown {
  const copy = clone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (replacement === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

const noAssets = { js: '', css: '' };
/** What a reader sees: the HTML without its scripts (the client code legitimately says "undefined"). */
const visibleHtml = (html: string): string => html.replace(/<script[\s\S]*?<\/script>/g, '');

t.test('reportProblems: the fixtures and a report with every optional part are valid', async (t) => {
  t.same(reportProblems(fixture('pass')), []);
  t.same(reportProblems(fixture('fail')), []);
  t.same(reportProblems(richReport()), []);
  const old = fixture('pass') as unknown as Record<string, unknown>;
  delete (old.peaks as Record<string, unknown>).pssBytes;
  for (const p of old.timeline as Record<string, unknown>[]) {
    delete p.pssBytes;
    delete p.reqRate;
  }
  t.same(reportProblems(old), [], 'a report written before pssBytes and reqRate existed');
  t.same(reportProblems({ ...fixture('pass'), addedLater: { x: 1 } }), [], 'unknown fields are allowed');
});

t.test('reportProblems: the audit cases, each named by its path', async (t) => {
  const cases: [string, (r: Record<string, any>) => void, string][] = [
    ['load.flood is a string', (r) => (r.load.flood = 'x'), 'load.flood: expected an object, got the string "x"'],
    ['latencyMs removed', (r) => delete r.load.flood.latencyMs, 'load.flood.latencyMs: expected an object, got nothing (missing)'],
    ['evidence [null]', (r) => (r.checks[0].evidence = [null]), 'checks[0].evidence[0]: expected an object, got null'],
    ['target {}', (r) => (r.target = {}), 'target.kind: expected "reference-proxy" or "command", got nothing (missing)'],
    ['peaks {}', (r) => (r.peaks = {}), 'peaks.children: expected a number, got nothing (missing)'],
    [
      'unknown evidence kind',
      (r) => (r.checks[0].evidence = [{ kind: 'blob' }]),
      'checks[0].evidence[0].kind: expected "process", "fd", "socket", "connection" or "note", got the string "blob"',
    ],
    ['timeline point null', (r) => (r.timeline[1] = null), 'timeline[1]: expected an object, got null'],
    [
      'a status count as text',
      (r) => (r.load.churn.statuses['200'] = '5'),
      'load.churn.statuses["200"]: expected a number, got the string "5"',
    ],
    ['odd generator key', (r) => (r.load['a\nb'] = 1), 'load["a\\nb"]: expected an object, got the number 1'],
    ['command not strings', (r) => (r.target.command = ['node', 1]), 'target.command[1]: expected a string, got the number 1'],
    [
      'threshold value text',
      (r) => (r.thresholds = [{ metric: 'p99_ms', expr: '<1', value: '3', pass: true }]),
      'thresholds[0].value: expected a number, got the string "3"',
    ],
  ];
  for (const [name, edit, expected] of cases) {
    const r = clone(fixture('fail')) as unknown as Record<string, any>;
    edit(r);
    t.equal(reportProblems(r)[0], expected, name);
  }
  t.same(reportProblems([]), ['not a JSON object (an array)']);
  t.same(reportProblems({ ...fixture('pass'), tool: { name: 'k6' } }), ['tool.name is not "handoff"']);
  t.same(
    reportProblems({ ...fixture('pass'), schema: 2, peaks: null }),
    ['schema 2, this handoff reads schema 1'],
    'a foreign schema is that one problem',
  );
  const many = clone(fixture('fail')) as unknown as Record<string, any>;
  many.timeline = many.timeline.map(() => ({}));
  t.ok(reportProblems(many).length <= 20, 'the list is capped');
  t.throws(() => asReport({ ...fixture('pass'), peaks: {} }, 'x/report.json'), {
    name: 'UsageError',
    message: 'x/report.json is not a handoff report: peaks.children: expected a number, got nothing (missing)',
  });
});

t.test('every field: a wrong type is refused, or the report renders without a throw, "undefined" or "NaN"', async (t) => {
  const base = richReport();
  const replacements: unknown[] = [undefined, null, 'x', -1, 1.5, true, {}, [], [null]];
  let refused = 0;
  let rendered = 0;
  for (const path of paths(base)) {
    for (const replacement of replacements) {
      const value = mutate(base, path, replacement);
      if (reportProblems(value).length) {
        refused++;
        continue;
      }
      rendered++;
      const r = value as Report;
      const where = `${path.join('.')} = ${JSON.stringify(replacement)}`;
      let md = '';
      let html = '';
      let junit = '';
      try {
        md = renderMarkdown(r);
        html = visibleHtml(renderHtml(r, noAssets));
        junit = renderJunit(r);
      } catch (err) {
        t.fail(`${where}: passed validation but rendering threw ${(err as Error).message}`);
        continue;
      }
      for (const [format, text] of [
        ['md', md],
        ['html', html],
        ['junit', junit],
      ] as const) {
        if (/\bundefined\b|\bNaN\b|\[object Object\]/.test(text)) t.fail(`${where}: ${format} shows undefined/NaN/[object Object]`);
      }
    }
  }
  t.ok(refused > 1000, `${refused} mutations refused`);
  t.ok(rendered > 100, `${rendered} harmless mutations rendered`);
});

t.test('handoff report: a report with wrong inner types is exit 2, one line, and nothing is written', async (t) => {
  const root = temp(t);
  const cases: [string, (r: Record<string, any>) => void, RegExp][] = [
    ['flood-string', (r) => (r.load.flood = 'x'), /report\.json is not a handoff report: load\.flood: expected an object/],
    ['no-latency', (r) => delete r.load.flood.latencyMs, /load\.flood\.latencyMs: expected an object/],
    ['null-evidence', (r) => (r.checks[0].evidence = [null]), /checks\[0\]\.evidence\[0\]: expected an object/],
    ['empty-target', (r) => (r.target = {}), /target\.kind: /],
    ['empty-peaks', (r) => (r.peaks = {}), /peaks\.children: expected a number/],
  ];
  for (const [name, edit, pattern] of cases) {
    const run = join(root, name);
    mkdirSync(run);
    const r = clone(fixture('fail')) as unknown as Record<string, any>;
    edit(r);
    writeFileSync(join(run, 'report.json'), JSON.stringify(r));
    writeFileSync(join(run, 'junit.xml'), 'old junit');
    t.test(name, async (t) => {
      usageError(t, report(run), pattern);
      t.same(readdirSync(run).sort(), ['junit.xml', 'report.json'], 'no report.md or report.html written');
      t.equal(readFileSync(join(run, 'junit.xml'), 'utf8'), 'old junit', 'the old junit.xml is left as it was');
    });
  }
});

t.test('handoff report: a write error names the file and the error code, exit 2, nothing half-written', async (t) => {
  const root = temp(t);
  const fresh = (name: string): string => {
    const run = join(root, name);
    mkdirSync(run);
    writeFileSync(join(run, 'report.json'), JSON.stringify(fixture('fail')));
    return run;
  };

  let run = fresh('md-is-dir');
  mkdirSync(join(run, 'report.md'));
  usageError(t, report(run), /report\.md: cannot write \(EISDIR\b/);
  t.same(readdirSync(run).sort(), ['report.json', 'report.md'], 'nothing else written');

  run = fresh('html-is-dir');
  mkdirSync(join(run, 'report.html'));
  writeFileSync(join(run, 'junit.xml'), 'old junit');
  usageError(t, report(run), /report\.html: cannot write \(EISDIR\b/);
  t.notOk(existsSync(join(run, 'report.md')), 'report.md, opened before the failure, is not left behind');
  t.equal(readFileSync(join(run, 'junit.xml'), 'utf8'), 'old junit', 'junit.xml untouched');

  run = fresh('enotdir');
  writeFileSync(join(root, 'a-file'), '');
  symlinkSync(join(root, 'a-file', 'x'), join(run, 'junit.xml'));
  usageError(t, report(run), /junit\.xml: cannot write \(ENOTDIR\b/);

  run = fresh('fifo');
  spawnSync('mkfifo', [join(run, 'report.html')]);
  usageError(t, report(run), /report\.html: cannot write \(ENXIO\b/);

  run = fresh('device');
  symlinkSync('/dev/null', join(run, 'report.md'));
  usageError(t, report(run), /report\.md: cannot write \(not a regular file\)/);

  if (process.getuid?.() !== 0) {
    run = fresh('read-only');
    chmodSync(run, 0o555);
    usageError(t, report(run), /report\.md: cannot write \(EACCES\b/);
  }
});

t.test('handoff report: a path that is not a run directory or a regular report.json is refused without reading it', async (t) => {
  const root = temp(t);
  usageError(t, report('/dev/zero'), /^handoff: \/dev\/zero: not a run directory/);

  const run = join(root, 'run');
  mkdirSync(run);
  const json = join(run, 'report.json');
  symlinkSync('/dev/zero', json);
  usageError(t, report(run), /report\.json: not a regular file/);
  rmSync(json);

  spawnSync('mkfifo', [json]);
  usageError(t, report(run), /report\.json: not a regular file/);
  rmSync(json);

  mkdirSync(json);
  usageError(t, report(run), /report\.json: not a regular file/);
  rmSync(json, { recursive: true });

  writeFileSync(json, '');
  truncateSync(json, MAX_REPORT_BYTES + 1); // sparse: costs no disk
  usageError(t, report(run), /report\.json: \d+ bytes, larger than the 64 MiB/);
  rmSync(json);

  usageError(t, report(run), /report\.json: no report\.json \(is .* a run directory\?\)/);
  t.same(readdirSync(run), [], 'nothing written');
});

t.test('handoff report re-renders a report a real run wrote', async (t) => {
  const root = temp(t);
  const stress = spawnSync(process.execPath, [cliPath(), 'stress', '--quiet', '--duration', '1s', '--report-dir', root], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, GITHUB_STEP_SUMMARY: '' },
  });
  t.equal(stress.status, 0, stress.stderr);
  const run = join(root, readdirSync(root).find((d) => d !== 'latest')!);
  t.same(reportProblems(JSON.parse(readFileSync(join(run, 'report.json'), 'utf8'))), []);
  const md = readFileSync(join(run, 'report.md'), 'utf8');
  rmSync(join(run, 'report.md'));
  const r = report(run);
  t.equal(r.status, 0, r.stderr);
  t.same(
    r.stdout.trim().split('\n'),
    ['report.md', 'report.html', 'junit.xml'].map((f) => join(run, f)),
  );
  t.equal(readFileSync(join(run, 'report.md'), 'utf8'), md, 'the same Markdown as the run wrote');
  const again = report(join(run, 'report.json'), '--format', 'junit');
  t.equal(again.status, 0, again.stderr);
  t.same(again.stdout.trim().split('\n'), [join(run, 'junit.xml')]);
});
