// A fork child must start warm: the zygote's warm-up rehearses exactly what a child does (same socket shape, a
// client that does not half-close, a fresh origin connection), so the optimised code children inherit fits the
// objects they meet. If the rehearsal drifts from the real path, every child deoptimises the same functions
// again (seen at about six bailouts per child, 2 ms of CPU each). V8's traces are written to stdout, which the
// children share with the zygote: bailouts that scale with the connection count mean children deoptimise.
// And it must stay warm: a zygote left quiet past V8's memory reducer (~8 s) once lost ~130 optimised functions
// of the request path to its full GCs ("marking dependent code … weak objects"), and every later child ran cold.
import t, { type Test } from 'tap';
import { startOrigin } from '../helpers/origin.js';
import { rawExchange } from '../helpers/raw-http.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { forkUnavailableReason } from './addon-available.js';
import { childrenOf } from '../strategies/proc.js';
import { startZygote } from './zygote-process.js';

/** three kinds of exchange, five children each */
const CONNECTIONS = 15;
/** the zygote's own first accept may deoptimise once or twice; a kind that deoptimises per child gives ≥ 5 */
const ALLOWED = 4;
/** V8's memory reducer ran its full GCs 8.2–9.5 s after a quiet start here: the zygote is left quiet longer */
const QUIET_MS = 12_000;

const unavailable = forkUnavailableReason();
if (unavailable) {
  t.plan(0, unavailable);
} else {
  const origin = await startOrigin();
  t.teardown(() => origin.close());
  const zygote = await startZygote(t, ['--trace-deopt', '--trace-opt']);
  const { port } = zygote;
  const startOfService = zygote.out().search(/^listening /m);

  // other exchanges than the zygote rehearsed: another origin (other response headers), a chunked body, a POST
  const host = `127.0.0.1:${origin.port}`;
  const exchanges = [
    (i: number) => `GET http://${host}/warm/${i} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    (i: number) =>
      `GET http://${host}/warm/${i}?size=3000&chunked=1 HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: t\r\nConnection: close\r\n\r\n`,
    (i: number) =>
      `POST http://${host}/warm/${i} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
  ];
  /** CONNECTIONS exchanges, then the deopt/compile lines the zygote and its children wrote since `from` */
  const connectAndCount = async (t: Test, from: number): Promise<void> => {
    for (let i = 0; i < CONNECTIONS; i++) {
      const r = await rawExchange(port, exchanges[i % exchanges.length]!(i));
      t.equal(r.status, 200, `connection ${i}`);
    }
    t.ok(await pollUntil(() => childrenOf(zygote.pid).length === 0, 10_000), 'every child exited');
    const churn = zygote
      .out()
      .slice(from)
      .split('\n')
      .filter((l) => /^\[(bailout|compiling method|marking dependent code)/.test(l));
    t.ok(churn.length <= ALLOWED, `${churn.length} deopt/compile lines (≤ ${ALLOWED}):\n${churn.map((l) => l.slice(0, 160)).join('\n')}`);
  };

  await t.test(`${CONNECTIONS} connections, each in its own child: children do not deoptimise or optimise`, async (t) => {
    await connectAndCount(t, startOfService);
  });

  await t.test('a zygote left quiet past the memory reducer keeps its optimised code', async (t) => {
    const from = zygote.out().length;
    await new Promise((r) => setTimeout(r, QUIET_MS)); // after the first subtest's connections, none in between
    await connectAndCount(t, from);
  });
}
