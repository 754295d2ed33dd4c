// A long-serving zygote meets full GCs (allocation, the heap limit). The first ones after the warm-up find the
// rehearsal's objects dead, and V8 throws away the optimised code that embedded them ("marking dependent code");
// every child forked after that ran the request path at baseline: ~1.8 × the page faults and ~1.7 × the CPU per
// child, for good. The zygote rehearses again after each full GC. Measured by page faults per child (its reaped
// children's minflt, /proc/ZYGOTE/stat field 11): counted, not timed, so a busy machine does not move it much.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { startOrigin } from '../helpers/origin.js';
import { rawExchange } from '../helpers/raw-http.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { forkUnavailableReason } from './addon-available.js';
import { childrenOf, reapedChildFaults } from '../strategies/proc.js';
import { startZygote } from './zygote-process.js';

const CONNECTIONS = 80;
/** faults per child after the full GCs, at most this × before (1.8 × without the rehearsal, ~1.0 × with it) */
const MAX_RATIO = 1.2;
const FULL_GC_HOOK = fileURLToPath(new URL('../fixtures/full-gc-on-sigwinch.mjs', import.meta.url));

const unavailable = forkUnavailableReason();
if (unavailable) {
  t.plan(0, unavailable);
} else {
  const origin = await startOrigin();
  t.teardown(() => origin.close());
  const zygote = await startZygote(t, ['--expose-gc', '--import', FULL_GC_HOOK, '--trace-deopt']);
  const { port } = zygote;
  const host = `127.0.0.1:${origin.port}`;

  const exchange = (i: number): Promise<number> =>
    rawExchange(port, `GET http://${host}/r/${i} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`).then((r) => r.status);
  /** faults per child over CONNECTIONS one-connection children, once every one of them is reaped */
  const faultsPerChild = async (): Promise<number> => {
    const before = reapedChildFaults(zygote.pid);
    for (let i = 0; i < CONNECTIONS; i++) {
      const status = await exchange(i);
      if (status !== 200) throw new Error(`connection ${i}: status ${status}`);
    }
    if (!(await pollUntil(() => childrenOf(zygote.pid).length === 0, 10_000))) throw new Error('children left');
    return (reapedChildFaults(zygote.pid) - before) / CONNECTIONS;
  };

  await t.test('children forked after full GCs in the zygote start as warm as before', async (t) => {
    const warm = await faultsPerChild();
    const fromGc = zygote.out().length;
    process.kill(zygote.pid, 'SIGWINCH');
    // connections all through the rehearsal: queued during its slices, forked between them
    const during: number[] = [];
    let rehearsing = true;
    const client = (async () => {
      for (let i = 0; rehearsing; i++) during.push(await exchange(1000 + i));
    })();
    t.ok(await pollUntil(() => zygote.out().includes('full-gcs-done'), 10_000), 'the zygote ran its full GCs');
    const dropped = zygote
      .out()
      .slice(fromGc)
      .split('\n')
      .filter((l) => l.startsWith('[marking dependent code')).length;
    // without this the test would prove nothing: the GCs must have thrown optimised code away
    t.ok(dropped >= 20, `the full GCs dropped optimised code (${dropped} functions)`);
    const rehearsed = /rehearsed the request path again after a full GC \((\d+) rounds/;
    t.ok(await pollUntil(() => rehearsed.test(zygote.err()), 30_000), `the zygote says it rehearsed again: ${zygote.err().trim()}`);
    rehearsing = false;
    await client;
    t.ok(during.length >= 5, `${during.length} connections during the rehearsal`);
    t.same([...new Set(during)], [200], 'each answered');
    const afterGc = await faultsPerChild();
    t.ok(
      afterGc <= warm * MAX_RATIO,
      `faults per child after the full GCs ${afterGc.toFixed(0)} ≤ ${MAX_RATIO} × ${warm.toFixed(0)} before (the zygote rehearsed again)`,
    );
  });
}
