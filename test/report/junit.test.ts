import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderJunit } from '../../src/report/junit.js';
import { escapeXml } from '../../src/report/escape.js';
import { fixture } from './fixtures.js';

const python = spawnSync('python3', ['-c', 'import xml.dom.minidom'], { encoding: 'utf8' }).status === 0;

/** Parses with a real XML parser (Python's expat via minidom) and returns a JSON digest of the testcases. */
function parseWithPython(xml: string): {
  cases: { name: string; failure: { message: string; body: string } | null; out: string }[];
  tests: string;
  failures: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-junit-'));
  try {
    const file = join(dir, 'junit.xml');
    writeFileSync(file, xml);
    const script = `
import json, sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
root = d.documentElement
text = lambda n: ''.join(c.data for c in n.childNodes if c.nodeType in (c.TEXT_NODE, c.CDATA_SECTION_NODE))
cases = []
for tc in d.getElementsByTagName('testcase'):
    f = tc.getElementsByTagName('failure')
    o = tc.getElementsByTagName('system-out')
    cases.append({'name': tc.getAttribute('name'), 'failure': {'message': f[0].getAttribute('message'), 'body': text(f[0])} if f else None, 'out': text(o[0]) if o else ''})
print(json.dumps({'tests': root.getAttribute('tests'), 'failures': root.getAttribute('failures'), 'cases': cases}))
`;
    const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`XML did not parse: ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('escapeXml keeps XML 1.0 valid', async (t) => {
  t.equal(escapeXml(`a<b>&"c"'d'`), 'a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;');
  t.equal(escapeXml('bell\u0001 nul\u0000 tab\tok'), 'bell\\x01 nul\\x00 tab\tok');
  t.equal(escapeXml('lone \ud800 surrogate'), 'lone \\ud800 surrogate');
  t.equal(escapeXml('pair 😀 kept'), 'pair 😀 kept');
});

t.test(
  'one testcase per check; failure message = summary, body = evidence',
  { skip: python ? false : 'python3 (XML parser) not found' },
  async (t) => {
    const report = fixture('fail');
    const parsed = parseWithPython(renderJunit(report));
    t.equal(parsed.tests, '10');
    t.equal(parsed.failures, '5');
    t.same(
      parsed.cases.map((c) => c.name),
      report.checks.map((c) => c.id),
    );
    const eof = parsed.cases.find((c) => c.name === 'handoff-eof')!;
    t.equal(eof.failure!.message, '41 of 612 churn connections saw no EOF within 2 s of their response');
    t.match(eof.failure!.body, /churn connection c118: response 200 complete/);
    const children = parsed.cases.find((c) => c.name === 'children-drained')!;
    t.ok(
      children.failure!.body.includes(`node -e "</script><script>alert('x')</script>" --title=<img src=x onerror=alert(1)>`),
      'hostile cmdline round-trips as text',
    );
    t.ok(children.failure!.body.includes('\\x01bell'), 'control character made visible, XML still valid');
    const sockets = parsed.cases.find((c) => c.name === 'sockets-drained')!;
    t.equal(
      sockets.failure!.body.split('\n').length,
      1 + report.checks.find((c) => c.id === 'sockets-drained')!.evidence.length,
      'summary line + one line per evidence item',
    );
    t.equal(parsed.cases.find((c) => c.name === 'no-orphans')!.failure, null);
  },
);

t.test('passing run, thresholds, waivers and expired entries', { skip: python ? false : 'python3 (XML parser) not found' }, async (t) => {
  const pass = parseWithPython(renderJunit(fixture('pass')));
  t.equal(pass.failures, '0');
  t.equal(pass.cases.length, 10);

  const report = fixture('fail');
  for (const c of report.checks) if (!c.pass) c.allowedBy = { reason: 'legacy & known', expires: '2031-01-01' };
  report.thresholds = [
    { metric: 'p99_ms', expr: '<250', value: 251, pass: false },
    { metric: 'peak_children', expr: '<=64', value: 16, pass: true },
  ];
  report.allowList = [{ check: 'no-zombies', match: '<defunct>', reason: 'r', expires: '2020-01-01', expired: true, matched: 0 }];
  const parsed = parseWithPython(renderJunit(report));
  t.equal(parsed.tests, '13');
  t.equal(parsed.failures, '2', 'the failed threshold and the expired entry; waived checks are not failures');
  t.match(parsed.cases.find((c) => c.name === 'no-zombies')!.out, /waived by the allow-list until 2031-01-01: legacy & known/);
  t.match(parsed.cases.find((c) => c.name === 'threshold p99_ms <250')!.failure!.message, 'p99_ms = 251, wanted <250');
  t.match(parsed.cases.find((c) => c.name === 'allow-list #1 no-zombies')!.failure!.message, /expired on 2020-01-01/);
});
