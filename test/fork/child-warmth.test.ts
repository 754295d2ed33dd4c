// A fork child must start warm: the zygote's warm-up rehearses exactly what a child does (same socket shape, a
// client that does not half-close, a fresh origin connection), so the optimised code children inherit fits the
// objects they meet. If the rehearsal drifts from the real path, every child deoptimises the same functions
// again (seen at about six bailouts per child, 2 ms of CPU each). V8's traces are written to stdout, which the
// children share with the zygote: bailouts that scale with the connection count mean children deoptimise.
import t from 'tap';
import { spawn } from 'node:child_process';
import { cliPath } from '../../src/paths.js';
import { startOrigin } from '../helpers/origin.js';
import { rawExchange } from '../helpers/raw-http.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { untappedNode } from '../helpers/untapped.js';
import { forkUnavailableReason } from './addon-available.js';
import { childrenOf } from '../strategies/proc.js';

const CONNECTIONS = 12;
/** the zygote's own first accept may deoptimise once or twice; per-child trouble gives ≥ CONNECTIONS lines */
const ALLOWED = 4;

const unavailable = forkUnavailableReason();
if (unavailable) {
  t.plan(0, unavailable);
} else {
  const origin = await startOrigin();
  const [command, args] = untappedNode([
    '--single-threaded',
    '--trace-deopt',
    '--trace-opt',
    cliPath(),
    'serve',
    '--strategy',
    'fork',
    '--port',
    '0',
  ]);
  const zygote = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const killGroup = (): void => {
    try {
      process.kill(-zygote.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  t.teardown(async () => {
    killGroup();
    await origin.close();
  });
  let out = '';
  zygote.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  zygote.stderr!.resume();

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${out.slice(-2000)}`)), 30_000);
    const look = (): void => {
      const m = /^listening [^\s:]+:(\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      } else setTimeout(look, 20);
    };
    look();
  });
  const startOfService = out.search(/^listening /m);

  await t.test(`${CONNECTIONS} connections, each in its own child: children do not deoptimise or optimise`, async (t) => {
    for (let i = 0; i < CONNECTIONS; i++) {
      const r = await rawExchange(
        port,
        `GET http://127.0.0.1:${origin.port}/warm/${i} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\nConnection: close\r\n\r\n`,
      );
      t.equal(r.status, 200, `connection ${i}`);
    }
    t.ok(await pollUntil(() => childrenOf(zygote.pid!).length === 0, 10_000), 'every child exited');
    const service = out.slice(startOfService).split('\n');
    const churn = service.filter((l) => /^\[(bailout|compiling method|marking dependent code)/.test(l));
    t.ok(
      churn.length <= ALLOWED,
      `${churn.length} deopt/compile lines after listening (≤ ${ALLOWED}):\n${churn.map((l) => l.slice(0, 160)).join('\n')}`,
    );
  });
}
