// A fork child must not resolve symbols: with lazy binding, its first call through each PLT entry the zygote never
// used (the addon's child path: _exit, prctl, uv_loop_fork, ...) walked node's symbol tables, in every child,
// ~45 page faults each. The addon is linked -z now; glibc's LD_DEBUG=bindings shows any lazy lookup, by pid.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../../src/paths.js';
import { startOrigin } from '../helpers/origin.js';
import { rawExchange } from '../helpers/raw-http.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { untappedNode } from '../helpers/untapped.js';
import { forkUnavailableReason } from './addon-available.js';
import { childrenOf } from '../strategies/proc.js';
import { speedFlags } from '../../src/proxy/fork/zygote-guard.js';

const CONNECTIONS = 4;

const unavailable = forkUnavailableReason();
if (unavailable) {
  t.plan(0, unavailable);
} else {
  const origin = await startOrigin();
  const dir = mkdtempSync(join(tmpdir(), 'handoff-bindings-'));
  const [command, args] = untappedNode(['--single-threaded', ...speedFlags([]), cliPath(), 'serve', '--strategy', 'fork', '--port', '0']);
  // glibc writes LD_DEBUG_OUTPUT.<pid> per process it starts; children inherit the zygote's file, lines carry pids
  const env = { ...process.env, LD_DEBUG: 'bindings', LD_DEBUG_OUTPUT: join(dir, 'ld') };
  const zygote = spawn(command, args, { detached: true, env, stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(async () => {
    try {
      process.kill(-zygote.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let out = '';
  zygote.stdout!.on('data', (d: Buffer) => (out += d.toString()));

  await t.test('children forked per connection bind no symbol lazily', async (t) => {
    t.ok(await pollUntil(() => /^listening [^\s:]+:\d+\n/m.test(out), 30_000), 'the zygote listens');
    const port = Number(/^listening [^\s:]+:(\d+)$/m.exec(out)?.[1]);
    const host = `127.0.0.1:${origin.port}`;
    for (let i = 0; i < CONNECTIONS; i++) {
      const r = await rawExchange(port, `GET http://${host}/b/${i} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      t.equal(r.status, 200, `connection ${i}`);
    }
    t.ok(await pollUntil(() => childrenOf(zygote.pid!).length === 0, 10_000), 'every child exited');
    const log = readFileSync(join(dir, `ld.${zygote.pid}`), 'utf8');
    const byPid = new Map<string, string[]>();
    for (const line of log.split('\n')) {
      const m = /^\s*(\d+):\s+binding file .* normal symbol `([^']+)'/.exec(line);
      if (m) byPid.set(m[1]!, [...(byPid.get(m[1]!) ?? []), m[2]!]);
    }
    t.ok((byPid.get(String(zygote.pid)) ?? []).length > 0, 'LD_DEBUG reports the zygote’s own bindings (the probe works)');
    byPid.delete(String(zygote.pid));
    const inChildren = [...byPid].map(([pid, symbols]) => `${pid}: ${symbols.join(' ')}`);
    t.same(inChildren, [], 'no child resolved a symbol');
    t.same(readdirSync(dir).length, 1, 'one LD_DEBUG file: children are forks, never new programs');
  });
}
