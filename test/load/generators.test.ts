// tunnel, abuse and origin-faults against servers whose behaviour is known: the in-process reference proxy
// (every case must get the answer issue 2 defines) and deliberately broken servers (the generators must notice).
import net from 'node:net';
import t from 'tap';
import { createAbuse } from '../../src/harness/load/abuse.js';
import { createOriginFaults } from '../../src/harness/load/origin-faults-load.js';
import { createTunnel } from '../../src/harness/load/tunnel.js';
import { createGenerator } from '../../src/harness/load/index.js';
import { ABUSE_CASES } from '../../src/harness/load/abuse-cases.js';
import { ORIGIN_FAULT_CASES } from '../../src/harness/load/origin-fault-cases.js';
import { UsageError } from '../../src/util/errors.js';
import { fakeServer, type FakeServer } from '../helpers/fake-server.js';
import { loadContext, startRig } from './helpers.js';

const defaults = { durationMs: 800, connections: 2 };

/** A server that accepts and reads but never answers nor closes (until the test ends). */
const blackHole = (): Promise<FakeServer> => fakeServer((s) => s.resume());

/**
 * A CONNECT proxy whose tunnels react to the client's FIN in one of two wrong-or-allowed ways:
 * `drop` tears the tunnel down both ways (RFC 9110 §9.3.6 allows it; the way back is lost), `ignore` never passes
 * the FIN on and never closes (a tunnel that outlives its client: a leak).
 */
function finProxy(echoPort: number, onFin: 'drop' | 'ignore'): Promise<FakeServer> {
  return fakeServer(
    (client, track) => {
      client.once('data', () => {
        const up = net.connect({ host: '127.0.0.1', port: echoPort, allowHalfOpen: true });
        track(up);
        up.on('error', () => client.destroy());
        up.on('connect', () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          client.on('data', (d) => up.write(d));
          up.on('data', (d) => client.write(d));
          client.on('end', () => {
            if (onFin === 'ignore') return;
            up.destroy();
            client.end();
          });
        });
      });
    },
    { allowHalfOpen: true },
  );
}

t.test('tunnel: bytes both ways, half-close and EOF through the reference proxy', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const g = createTunnel('tunnel', { generator: 'tunnel', duration: 600, connections: 2, bytes: 20_000, writes: 5 }, defaults);
  const o = await g.run(loadContext(rig.target, rig.origin));
  t.ok(o.stats.requests > 0, `${o.stats.requests} tunnels`);
  t.equal(o.tokensChecked, o.stats.requests, 'every tunnel verified');
  t.equal(o.eofChecked, o.stats.requests, 'every tunnel waited for EOF');
  t.same(o.counts, {}, 'no incidents');
  t.same(o.stats.statuses, { 200: o.stats.requests });
  t.ok(rig.origin.echoPort > 0 && g.live!().requests === o.stats.requests, 'live counters agree');
});

t.test('tunnel halfClose "carried": a proxy that drops the tunnel on the client FIN is caught', async (t) => {
  const rig = await startRig();
  const bad = await finProxy(rig.origin.echoPort, 'drop');
  t.teardown(async () => {
    await bad.close();
    await rig.close();
  });
  // the default against the reference proxy, and explicit against a command target
  for (const [entry, extra] of [
    [{}, {}],
    [{ halfClose: 'carried' }, { targetKind: 'command' as const }],
  ] as const) {
    const g = createTunnel('tunnel', { generator: 'tunnel', duration: 400, connections: 1, timeout: 1000, ...entry }, defaults);
    const o = await g.run(loadContext({ host: '127.0.0.1', port: bad.port }, rig.origin, extra));
    t.ok(o.stats.requests > 0 && (o.counts.error ?? 0) + (o.counts.timeout ?? 0) > 0, `incidents: ${JSON.stringify(o.counts)}`);
    t.equal(o.stats.errors + o.stats.timeouts, o.stats.requests, 'every tunnel failed');
    t.match(o.incidents[0]?.detail ?? '', /half-close not carried through\? "halfClose": "either" accepts/);
  }
});

t.test('tunnel halfClose "either": a tunnel closed on the client FIN passes, one that never closes does not', async (t) => {
  const rig = await startRig();
  const drop = await finProxy(rig.origin.echoPort, 'drop');
  const ignore = await finProxy(rig.origin.echoPort, 'ignore');
  t.teardown(async () => {
    await drop.close();
    await ignore.close();
    await rig.close();
  });
  const entry = { generator: 'tunnel', duration: 400, connections: 2, bytes: 20_000, writes: 5, timeout: 3000, eofBound: 1000 };
  // explicit, and the default against a command target
  for (const [e, extra] of [
    [{ ...entry, halfClose: 'either' }, {}],
    [entry, { targetKind: 'command' as const }],
  ] as const) {
    const o = await createTunnel('tunnel', e, defaults).run(loadContext({ host: '127.0.0.1', port: drop.port }, rig.origin, extra));
    t.ok(o.stats.requests > 0, `${o.stats.requests} tunnels`);
    t.same(o.counts, {}, 'no incidents');
    t.equal(o.tokensChecked, o.stats.requests, 'every echo verified');
    t.equal(o.eofChecked, o.stats.requests, 'every tunnel waited for EOF');
    t.same([o.stats.extra?.closedOnHalfClose, o.stats.extra?.halfCloseCarried], [o.stats.requests, 0], 'counted as closed on half-close');
  }
  // the reference proxy carries it: every trailer arrives, and is counted so
  const ref = await createTunnel('tunnel', { ...entry, halfClose: 'either' }, defaults).run(loadContext(rig.target, rig.origin));
  t.same(ref.counts, {}, 'reference proxy: no incidents');
  t.same([ref.stats.extra?.halfCloseCarried, ref.stats.extra?.closedOnHalfClose], [ref.stats.requests, 0], 'reference proxy: carried');
  // a tunnel that swallows the FIN and stays open is a leak in either mode
  const o = await createTunnel('tunnel', { ...entry, duration: 200, connections: 1, halfClose: 'either' }, defaults).run(
    loadContext({ host: '127.0.0.1', port: ignore.port }, rig.origin),
  );
  t.ok(o.stats.requests > 0 && o.counts['no-eof'] === o.stats.requests, `no-eof on every tunnel: ${JSON.stringify(o.counts)}`);
  t.match(o.incidents[0]?.detail ?? '', /no EOF within 1000 ms after our half-close/);
});

t.test('abuse: every case gets the answer the reference proxy defines', async (t) => {
  const rig = await startRig({ headersTimeoutMs: 1_000 });
  t.teardown(() => rig.close());
  const g = createAbuse(
    'abuse',
    { generator: 'abuse', duration: 500, connections: 3, maxCases: ABUSE_CASES.length, slowBound: '5s', slowGap: '50ms' },
    defaults,
  );
  const o = await g.run(loadContext(rig.target, rig.origin));
  const extra = o.stats.extra ?? {};
  for (const c of ABUSE_CASES)
    t.equal(
      extra[`${c}.ok`],
      1,
      `${c} as expected (${JSON.stringify(o.incidents.filter((i) => i.detail.includes(c)).map((i) => i.detail))})`,
    );
  t.equal(extra.mismatches, 0);
  t.ok(o.stats.statuses['400'] >= 2, 'malformed and CL+TE → 400');
  t.equal(o.stats.statuses['431'], 1, 'oversized headers → 431');
  t.ok((o.stats.statuses['408'] ?? 0) + (o.stats.statuses.close ?? 0) >= 1, 'slowloris closed by the headers timeout');
  t.same(o.counts, {}, 'no incidents');
});

t.test('abuse: a server that never answers nor closes fails the cases, bounded in time', async (t) => {
  const hole = await blackHole();
  const rig = await startRig();
  t.teardown(async () => {
    await hole.close();
    await rig.close();
  });
  const g = createAbuse(
    'abuse',
    {
      generator: 'abuse',
      cases: ['malformed-request-line', 'slowloris'],
      duration: 300,
      connections: 2,
      maxCases: 2,
      timeout: 300,
      slowBound: 400,
      slowGap: 20,
    },
    defaults,
  );
  const t0 = Date.now();
  const o = await g.run(loadContext({ host: '127.0.0.1', port: hole.port }, rig.origin));
  t.equal(o.stats.extra?.mismatches, 2, `both cases mismatched: ${o.incidents.map((i) => i.detail).join(' | ')}`);
  t.ok((o.counts.timeout ?? 0) + (o.counts['unexpected-status'] ?? 0) === 2);
  t.ok(Date.now() - t0 < 10_000, 'bounded');
});

t.test('origin-faults: the proxy answers each misbehaving origin as defined', async (t) => {
  const rig = await startRig({ upstreamTimeoutMs: 400 });
  t.teardown(() => rig.close());
  const g = createOriginFaults(
    'origin-faults',
    {
      generator: 'origin-faults',
      duration: 400,
      connections: 3,
      maxCases: ORIGIN_FAULT_CASES.length,
      hugeBytes: 2_000_000,
      slowMs: 200,
      hangWait: '3s',
    },
    defaults,
  );
  const o = await g.run(loadContext(rig.target, rig.origin));
  const extra = o.stats.extra ?? {};
  for (const c of ORIGIN_FAULT_CASES) t.equal(extra[`${c}.ok`], 1, `${c} as expected`);
  t.same(o.counts, {}, `no incidents ${o.incidents.map((i) => i.detail).join(' | ')}`);
  t.equal(o.stats.statuses['504'], 1, 'hang → 504');
  t.equal(o.stats.statuses['502'], 2, 'reset before the answer and refused → 502');
  t.ok(o.tokensChecked >= 3, 'slow, huge and chunked bodies verified');
});

t.test('origin-faults: wrong expectations are reported as mismatches', async (t) => {
  const rig = await startRig({ upstreamTimeoutMs: 400 });
  t.teardown(() => rig.close());
  const g = createOriginFaults(
    'of',
    { generator: 'origin-faults', cases: ['refused'], expect: { refused: [200] }, duration: 200, connections: 1, maxCases: 1 },
    defaults,
  );
  const o = await g.run(loadContext(rig.target, rig.origin));
  t.equal(o.counts['unexpected-status'], 1);
  t.match(o.incidents[0].detail, /expected 200, got 502/);
});

t.test('suite entries are validated', async (t) => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ generator: 'abuse', cases: ['nope'] }, /unknown abuse case "nope"/],
    [{ generator: 'abuse', expect: { garbage: ['maybe'] } }, /not a status/],
    [{ generator: 'origin-faults', cases: [] }, /non-empty array/],
    [{ generator: 'tunnel', bytez: 3 }, /unknown key "bytez"/],
    [{ generator: 'tunnel', halfClose: 'maybe' }, /halfClose must be one of "carried", "either"/],
    [{ generator: 'chaos', kills: 0 }, /does nothing/],
    [{ generator: 'chaos', depth: 'all' }, /depth must be "leaves" or a generation from 1/],
    [{ generator: 'chaos', depth: 0 }, /depth must be an integer between 1 and 16/],
    [{ generator: 'chaos', killEvery: '1ms' }, /at least 50ms/],
    [{ generator: 'chaos', sigtermAfter: '150%' }, /at most 100%/],
    [{ generator: 'flood', ramp: { from: 0 } }, /ramp.from must be an integer/],
    [{ generator: 'churn', ramp: { up: '1s' } }, /unknown key "up"/],
  ];
  for (const [entry, msg] of bad) {
    t.throws(() => createGenerator(entry, defaults, 0), UsageError, JSON.stringify(entry));
    try {
      createGenerator(entry, defaults, 0);
    } catch (err) {
      t.match((err as Error).message, msg);
    }
  }
});

t.test('server mode: bad input needs only a refusal; tunnel and origin faults run nothing', async (t) => {
  const rig = await startRig();
  const http = await import('node:http');
  // a plain origin server that echoes the path with 200, or answers 405 to anything but GET
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET') res.writeHead(405).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(`path ${req.url}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rig.close();
  });
  const target = { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
  const ctx = loadContext(target, rig.origin, { mode: 'server', checkTokens: false });
  const cases = ABUSE_CASES.filter((c) => c !== 'slowloris');
  const abuse = await createAbuse(
    'abuse',
    { generator: 'abuse', cases, duration: 500, connections: 2, maxCases: cases.length },
    defaults,
  ).run(ctx);
  t.equal(abuse.stats.extra?.mismatches, 0, abuse.incidents.map((i) => i.detail).join(' | '));
  t.equal(abuse.stats.requests, cases.length);
  // the suite's own expectation still holds in server mode
  const strict = await createAbuse(
    'abuse',
    { generator: 'abuse', cases: ['cl-te'], expect: { 'cl-te': [418] }, duration: 300, connections: 1, maxCases: 1 },
    defaults,
  ).run(ctx);
  t.equal(strict.counts['unexpected-status'], 1);
  const tunnel = await createTunnel('tunnel', { generator: 'tunnel', duration: 200 }, defaults).run(ctx);
  t.same([tunnel.stats.requests, tunnel.stats.extra?.skipped, tunnel.counts], [0, 1, {}]);
  const faults = await createOriginFaults('of', { generator: 'origin-faults', duration: 200 }, defaults).run(ctx);
  t.same([faults.stats.requests, faults.stats.extra?.skipped, faults.counts], [0, 1, {}]);
});

t.test('a command proxy owes a refusal where the reference proxy owes an exact status', async (t) => {
  const rig = await startRig();
  // a "proxy" that answers anything, bad input and failed origins alike, with 500 (tinyproxy does for a refused
  // origin); raw, because node:http would refuse the bad input itself with the reference proxy's statuses
  const server = await fakeServer((s) =>
    s.once('data', () => s.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')),
  );
  t.teardown(async () => {
    await server.close();
    await rig.close();
  });
  const target = { host: '127.0.0.1', port: server.port };
  const entry = { generator: 'origin-faults', cases: ['reset-head', 'refused', 'chunked'], duration: 300, connections: 1, maxCases: 3 };
  const asCommand = await createOriginFaults('of', entry, defaults).run(loadContext(target, rig.origin, { targetKind: 'command' }));
  const extra = asCommand.stats.extra ?? {};
  t.same(
    [extra['reset-head.ok'], extra['refused.ok'], extra['chunked.bad']],
    [1, 1, 1],
    `a 500 is a refusal; a relayed answer must still be relayed: ${JSON.stringify(extra)}`,
  );
  // the same answers from the reference proxy break its contract (502)
  const asReference = await createOriginFaults('of', entry, defaults).run(loadContext(target, rig.origin));
  t.same([asReference.stats.extra?.['reset-head.bad'], asReference.stats.extra?.['refused.bad']], [1, 1]);
  t.match(asReference.incidents.map((i) => i.detail).join(' | '), /case refused: expected 502, got 500/);
  // bad input: a command target's refusal is enough; the reference proxy owes 400
  const abuseEntry = { generator: 'abuse', cases: ['cl-te'], duration: 300, connections: 1, maxCases: 1 };
  const abuseCommand = await createAbuse('abuse', abuseEntry, defaults).run(loadContext(target, rig.origin, { targetKind: 'command' }));
  t.same([abuseCommand.stats.extra?.['cl-te.ok'], abuseCommand.stats.extra?.mismatches], [1, 0]);
  const abuseReference = await createAbuse('abuse', abuseEntry, defaults).run(loadContext(target, rig.origin));
  t.same([abuseReference.stats.extra?.['cl-te.bad'], abuseReference.stats.extra?.mismatches], [1, 1]);
});
