// The shipped JSON Schemas agree with the types and the parsers: a report carrying every field the types know
// validates (and the schemas refuse a field they do not know), the fixtures and the example config validate, and
// the schemas' key lists, enums and metric names are the ones the code uses.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECK_IDS, EXIT, VERDICTS, type Report } from '../../src/model/report.js';
import {
  COMMAND_TARGET_KEYS,
  EXEC_KEYS,
  LOAD_CMD_KEYS,
  LOAD_THREAD_KEYS,
  PROXY_KEYS,
  REPORT_KEYS,
  RUN_KEYS,
  TOP_KEYS,
  parseConfig,
} from '../../src/config/parse.js';
import { METRIC_NAMES } from '../../src/gate/metrics.js';
import { STRATEGIES } from '../../src/proxy/options.js';
import { reportProblems } from '../../src/report/validate.js';
import { packageRoot } from '../../src/paths.js';
import { fixture } from '../report/fixtures.js';
import { loadSchema, schemaProblems } from './validator.js';

/** Every optional field required, all the way down: a field added to the types must be added here, then to the schema. */
type Full<T> = T extends (infer U)[] ? Full<U>[] : T extends object ? { [K in keyof T]-?: Full<T[K]> } : T;

const full: Full<Report> = {
  schema: 1,
  tool: { name: 'handoff', version: '0.1.0' },
  runId: 'r',
  startedAt: '2026-12-01T00:00:00.000Z',
  verdict: 'fail',
  exitCode: 1,
  target: {
    kind: 'command',
    mode: 'server',
    command: ['python3', 'server.py', '1234'],
    pid: 10,
    port: 1234,
    pool: { resident: 0, cap: 4 },
    options: { strategy: 'inline' },
    exit: { code: 0, signal: null, afterMs: 12 },
  },
  suite: 'ci',
  strategy: null,
  fault: null,
  phases: [{ name: 'start', start: 0, end: 10 }],
  checks: [
    {
      id: 'fds-drained',
      pass: false,
      summary: 'kept fds',
      evidence: [
        { kind: 'process', pid: 1, starttime: 2, ppid: 0, state: 'S', cmdline: 'x', firstSeenMs: null, note: 'n' },
        { kind: 'fd', pid: 1, cmdline: 'x', fd: 3, target: 'socket:[1]', firstSeenMs: 5, note: 'n' },
        {
          kind: 'socket',
          pid: null,
          fd: null,
          local: '127.0.0.1:1',
          remote: '127.0.0.1:2',
          state: 'CLOSE_WAIT',
          inode: 1,
          firstSeenMs: 1,
          note: 'n',
        },
        { kind: 'connection', generator: 'churn', id: 'c1', detail: 'no EOF', atMs: 3 },
        { kind: 'note', text: 'hello' },
      ],
      allowedBy: { reason: 'JIRA-1', expires: '2026-12-31' },
    },
  ],
  load: {
    flood: {
      generator: 'flood',
      kind: 'flood',
      durationMs: 1000,
      requests: 10,
      errors: 0,
      timeouts: 0,
      statuses: { '200': 10 },
      latencyMs: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1.5 },
      extra: { noEof: 0 },
    },
  },
  peaks: { children: 1, fds: 10, rssBytes: 100, pssBytes: 50, closeWait: 0 },
  timeToQuietMs: 12,
  timeline: [
    {
      t: 0,
      children: 0,
      zombies: 0,
      orphans: 0,
      fds: 3,
      fdsByKind: { socket: 1, pipe: 1, file: 1, other: 0 },
      sockets: { LISTEN: 1 },
      rssBytes: 1,
      pssBytes: 1,
      cpuPct: 1,
      reqRate: 2,
      bucketMs: 100,
    },
  ],
  thresholds: [{ metric: 'p99_ms', expr: '<250', value: 3, pass: true }],
  allowList: [{ check: 'fds-drained', match: 'x', reason: 'JIRA-1', expires: '2026-12-31', expired: false, matched: 1 }],
  machine: { cores: 2, cpuModel: 'cpu', node: 'v20', platform: 'linux' },
  protocol: { gated: false, findings: [{ generator: 'abuse', case: 'te-cl', expected: '400', got: '200', count: 1, example: 'x1' }] },
  evidenceFloor: {
    met: true,
    capMs: 30000,
    rounds: 1,
    generators: [{ generator: 'flood', unit: 'responses', count: 10, floor: 1, aim: 2 }],
  },
  interruption: { signal: 'SIGINT', phase: 'load', recordedBy: 'harness', killed: 0 },
  logs: { stdout: { bytes: 1, kept: 1, truncated: false, error: null }, stderr: { bytes: 0, kept: 0, truncated: false, error: 'ENOSPC' } },
  exec: { code: 3, signal: null, durationMs: 450, failed: true, graceMs: 1000 },
  attach: { pid: 4242, shutdown: false, exitSeenBy: 'pidfd' },
};

t.test('a report with every field the types know is valid, for the schema and for the validator', async (t) => {
  t.same(schemaProblems('report', full), []);
  t.same(reportProblems(full), []);
});

t.test('the schema refuses what the types do not know (additionalProperties: false, down to evidence)', async (t) => {
  t.match(schemaProblems('report', { ...full, surprise: 1 }).join('\n'), /additional properties \(surprise\)/);
  const deep = structuredClone(full) as unknown as { checks: { evidence: Record<string, unknown>[] }[] };
  deep.checks[0].evidence[1].extra = 1;
  t.not(schemaProblems('report', deep).length, 0, 'an unknown field on an evidence item');
  const badLoad = structuredClone(full) as unknown as { load: { flood: Record<string, unknown> } };
  badLoad.load.flood.p99 = 3;
  t.match(schemaProblems('report', badLoad).join('\n'), /\/load\/flood .*\(p99\)/);
  t.not(schemaProblems('report', { ...full, verdict: 'ok' }).length, 0, 'an unknown verdict');
  const { timeline: _t, ...missing } = full;
  t.match(schemaProblems('report', missing).join('\n'), /timeline/, 'a required field missing');
});

t.test('the fixture reports validate', async (t) => {
  for (const name of ['pass', 'fail'] as const) t.same(schemaProblems('report', fixture(name)), [], name);
});

t.test("the report schema's enums are the code's", async (t) => {
  const schema = loadSchema('report');
  t.same(schema.properties.verdict.enum, [...VERDICTS]);
  t.same(schema.definitions.check.properties.id.enum, [...CHECK_IDS]);
  t.same(
    [...schema.properties.exitCode.enum].sort((a: number, b: number) => a - b),
    [EXIT.pass, EXIT.fail, EXIT.usage, EXIT.notStarted, EXIT.inconclusive, EXIT.commandFailed, EXIT.interrupted].sort((a, b) => a - b),
  );
  t.same(Object.keys(schema.properties).sort(), Object.keys(full).sort(), "the top-level fields are the type's");
});

t.test('the example config validates, and the config schema knows the keys parse.ts accepts', async (t) => {
  const example = JSON.parse(readFileSync(join(packageRoot, 'examples', 'handoff.config.json'), 'utf8'));
  t.same(schemaProblems('config', example), []);
  const schema = loadSchema('config');
  t.same(Object.keys(schema.properties).sort(), [...TOP_KEYS].sort());
  // credentials never go in a file: parse-options refuses `auth`, so the schema does not offer it
  t.same(
    Object.keys(schema.properties.target.properties).sort(),
    [...PROXY_KEYS.filter((k) => k !== 'auth'), ...COMMAND_TARGET_KEYS].sort(),
  );
  t.same(Object.keys(schema.properties.run.properties).sort(), [...RUN_KEYS, ...LOAD_CMD_KEYS, ...LOAD_THREAD_KEYS].sort());
  t.same(Object.keys(schema.properties.exec.properties).sort(), [...EXEC_KEYS].sort());
  t.same(Object.keys(schema.properties.report.properties).sort(), [...REPORT_KEYS].sort());
  t.same(schema.properties.target.properties.strategy.enum, [...STRATEGIES]);
  t.same(schema.properties.allowList.items.properties.check.enum, [...CHECK_IDS]);
  const names = /^\^\(([^)]*)\)/.exec(schema.properties.thresholds.propertyNames.pattern)![1].split('|');
  t.same(names.sort(), [...METRIC_NAMES].sort(), 'the metric names a threshold may use');
});

t.test("docs/config.md's example validates, for the schema and for the parser", async (t) => {
  const doc = readFileSync(join(packageRoot, 'docs', 'config.md'), 'utf8');
  const block = /^```json\n([\s\S]*?)^```/m.exec(doc);
  t.ok(block, 'the page has its example');
  const example = JSON.parse(block![1]);
  t.same(schemaProblems('config', example), []);
  t.doesNotThrow(() => parseConfig(example, 'docs/config.md', packageRoot));
});

t.test('the config schema refuses what the parser refuses', async (t) => {
  t.match(schemaProblems('config', { tresholds: {} }).join('\n'), /tresholds/);
  t.not(schemaProblems('config', { thresholds: { p99: '<250' } }).length, 0, 'an unknown metric');
  t.same(schemaProblems('config', { thresholds: { 'p99_ms{flood}': '<250', error_rate: ['<1%'] } }), []);
  t.not(schemaProblems('config', { allowList: [{ check: 'no-zombies', match: 'x', reason: 'r' }] }).length, 0, 'an entry without expiry');
  t.not(schemaProblems('config', { allowList: [{ check: 'no-zombies', match: 'x', reason: 'r', expires: 'next week' }] }).length, 0);
  t.not(schemaProblems('config', { target: { strategy: 'threads' } }).length, 0);
  t.not(schemaProblems('config', { target: { fault: 'typo' } }).length, 0, 'an unknown fault (the enum comes from the table)');
  t.same(schemaProblems('config', { target: { connectPorts: [443, 8443] } }), [], 'a list of ports as JSON numbers, as parse.ts takes it');
  t.not(schemaProblems('config', { run: { duration: '1s', speed: 2 } }).length, 0);
});
