// A target that never starts (exit 3) leaves a record where CI looks: report.md, start-error.json, junit.xml
// with one <error>, and `latest` pointing at it — never at the previous run, whose results would pass for this one's.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { renderStartFailureJunit, renderStartFailureMarkdown, type StartFailure } from '../../src/report/start-failure.js';
import { runCli, tempReportDir } from '../harness/helpers.js';

const failure: StartFailure = {
  schema: 1,
  tool: { name: 'handoff', version: '0.0.0' },
  runId: 'r1',
  startedAt: '2026-11-26T00:00:00.000Z',
  suite: 'ci',
  strategy: null,
  command: ['sh', '-c', 'echo "<x> & y"; exit 7'],
  message: 'target exited before it accepted connections (exit code 7)',
  stderr: 'line with ``` fence & <markup>\nlast line\n',
  exitCode: 7,
  signal: null,
};

t.test('junit: one testcase with an <error>, parsed by a real XML parser', async (t) => {
  const xml = renderStartFailureJunit(failure);
  const dir = mkdtempSync(join(tmpdir(), 'handoff-start-junit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'junit.xml'), xml);
  const script = `
import json, sys, xml.dom.minidom as m
d = m.parse(sys.argv[1]); r = d.documentElement; e = d.getElementsByTagName('error')[0]
print(json.dumps({'errors': r.getAttribute('errors'), 'tests': r.getAttribute('tests'), 'case': d.getElementsByTagName('testcase')[0].getAttribute('name'),
  'message': e.getAttribute('message'), 'body': ''.join(c.data for c in e.childNodes), 'suite': d.getElementsByTagName('testsuite')[0].getAttribute('name')}))`;
  const r = spawnSync('python3', ['-c', script, join(dir, 'junit.xml')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const parsed = JSON.parse(r.stdout);
  t.same([parsed.errors, parsed.tests, parsed.case], ['1', '1', 'target start']);
  t.equal(parsed.message, failure.message);
  t.match(parsed.body, /fence & <markup>\nlast line/);
  t.match(parsed.suite, /handoff ci sh -c echo "<x> & y"; exit 7/);
});

t.test('markdown: the message, then the stderr in a fence longer than any run of backticks in it', async (t) => {
  const md = renderStartFailureMarkdown(failure);
  t.match(md, /^# handoff: the target did not start \(exit 3\)/);
  t.match(md, /No load was sent and no check ran\./);
  t.match(md, /\n````\nline with ``` fence & <markup>\nlast line\n````\n/);
});

t.test('through the CLI: exit 3, the record, latest moved off the previous run, `handoff report` says why', async (t) => {
  const dir = tempReportDir(t);
  // a previous run's directory, as a CI workspace that persists between builds would have it
  mkdirSync(join(dir, 'older-run'));
  writeFileSync(join(dir, 'older-run', 'junit.xml'), '<testsuites tests="10" failures="0"/>');
  symlinkSync('older-run', join(dir, 'latest'));
  const r = await runCli(['stress', '--format', 'json,junit', '--report-dir', dir, '--', 'sh', '-c', 'echo "no config file" >&2; exit 7']);
  t.equal(r.code, 3, r.stderr);
  const m = /recorded in (\S+) \(start-error\.json, report\.md, junit\.xml\)/.exec(r.stderr);
  t.ok(m, `names the record: ${r.stderr}`);
  if (!m) return;
  t.equal(readlinkSync(join(dir, 'latest')), m[1].split('/').at(-1), 'latest points at the failed start');
  const junit = readFileSync(join(dir, 'latest', 'junit.xml'), 'utf8');
  t.match(
    junit,
    /errors="1"[\s\S]*<error message="target exited before it accepted connections \(exit code 7\)" type="target-start-failed">[\s\S]*no config file/,
  );
  const record = JSON.parse(readFileSync(join(dir, 'latest', 'start-error.json'), 'utf8')) as StartFailure;
  t.same([record.exitCode, record.suite, record.strategy, record.command.slice(0, 2)], [7, 'ci', null, ['sh', '-c']]);
  t.match(record.stderr, /no config file/);
  const again = await runCli(['report', join(dir, 'latest')]);
  t.equal(again.code, 2);
  t.match(again.stderr, /the target never started \(exit 3\), so there is no report to render: see its report\.md/);
});
