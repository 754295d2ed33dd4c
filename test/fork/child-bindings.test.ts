// A fork child must not resolve symbols: with lazy binding, its first call through each PLT entry the zygote never
// used (the addon's child path: _exit, prctl, uv_loop_fork, ...) walked node's symbol tables, in every child,
// ~45 page faults each. The addon is linked -z now; glibc's LD_DEBUG=bindings shows any lazy lookup, by pid.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrigin } from '../helpers/origin.js';
import { rawExchange } from '../helpers/raw-http.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { forkUnavailableReason } from './addon-available.js';
import { childrenOf } from '../strategies/proc.js';
import { startZygote } from './zygote-process.js';

const CONNECTIONS = 4;
/** forks; the child calls a libc function its parent never called, then prints its pid */
const LAZY_CHILD_C = `#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  pid_t pid = fork();
  if (pid == 0) { double l[1]; getloadavg(l, 1); _exit(0); }
  waitpid(pid, NULL, 0);
  printf("%d\\n", (int)pid);
  return 0;
}
`;

function ccMissing(): string | false {
  return spawnSync('cc', ['--version']).status === 0 ? false : 'no C compiler';
}

const unavailable = forkUnavailableReason();
if (unavailable) {
  t.plan(0, unavailable);
} else {
  const origin = await startOrigin();
  const dir = mkdtempSync(join(tmpdir(), 'handoff-bindings-'));
  t.teardown(async () => {
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // the probe itself: a forked child's lazy binding lands in its parent's LD_DEBUG file, under the child's pid
  await t.test('LD_DEBUG reports a forked child’s lazy binding (a C program linked -z lazy)', { skip: ccMissing() }, async (t) => {
    const exe = join(dir, 'lazy-child');
    const src = join(dir, 'lazy-child.c');
    writeFileSync(src, LAZY_CHILD_C);
    const cc = spawnSync('cc', ['-O0', '-Wl,-z,lazy', '-o', exe, src], { encoding: 'utf8', timeout: 60_000 });
    t.equal(cc.status, 0, cc.stderr);
    const run = spawnSync(exe, [], {
      env: { ...process.env, LD_DEBUG: 'bindings', LD_DEBUG_OUTPUT: join(dir, 'c') },
      encoding: 'utf8',
      timeout: 10_000,
    });
    const childPid = run.stdout.trim();
    const parentLog = readdirSync(dir).find((f) => f.startsWith('c.'));
    const log = parentLog ? readFileSync(join(dir, parentLog), 'utf8') : '';
    t.match(
      log,
      new RegExp(`^\\s*${childPid}:\\s+binding file .* normal symbol \`getloadavg'`, 'm'),
      `child ${childPid}'s binding of getloadavg`,
    );
  });

  await t.test('children forked per connection bind no symbol lazily', async (t) => {
    // glibc writes LD_DEBUG_OUTPUT.<pid> per process it starts; children inherit the zygote's file, lines carry pids
    const zygote = await startZygote(t, [], { ...process.env, LD_DEBUG: 'bindings', LD_DEBUG_OUTPUT: join(dir, 'ld') });
    const { port } = zygote;
    const host = `127.0.0.1:${origin.port}`;
    for (let i = 0; i < CONNECTIONS; i++) {
      const r = await rawExchange(port, `GET http://${host}/b/${i} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      t.equal(r.status, 200, `connection ${i}`);
    }
    t.ok(await pollUntil(() => childrenOf(zygote.pid).length === 0, 10_000), 'every child exited');
    const log = readFileSync(join(dir, `ld.${zygote.pid}`), 'utf8');
    const byPid = new Map<string, string[]>();
    for (const line of log.split('\n')) {
      const m = /^\s*(\d+):\s+binding file .* normal symbol `([^']+)'/.exec(line);
      if (m) byPid.set(m[1]!, [...(byPid.get(m[1]!) ?? []), m[2]!]);
    }
    byPid.delete(String(zygote.pid));
    const inChildren = [...byPid].map(([pid, symbols]) => `${pid}: ${symbols.join(' ')}`);
    t.same(inChildren, [], 'no child resolved a symbol');
    t.same(
      readdirSync(dir).filter((f) => f.startsWith('ld.')),
      [`ld.${zygote.pid}`],
      'one LD_DEBUG file: children are forks, never new programs',
    );
  });
}
