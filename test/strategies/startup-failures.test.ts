// Start-up of the process-managing strategies when it goes wrong: the port is taken (exit 3, one line, no
// worker left), the master is killed while its workers boot (they must not outlive it), a SIGTERM arrives
// while workers boot (a shutdown like any other: exit 0, nothing announced, nothing left).
import t from 'tap';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { cliPath } from '../../src/paths.js';
import { untappedNode } from '../helpers/untapped.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { childrenOf, groupMembers, killGroup } from './proc.js';

t.setTimeout(180_000);

interface Launched {
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL the whole group (idempotent) */
  kill(): void;
}

const groups = new Set<number>();
// last resort if the test process dies without its teardown
process.once('exit', () => {
  for (const g of groups) killGroup(g);
});

/** `handoff serve` in its own process group (its pid is the group id); killed in the teardown of `tt`. */
function launch(tt: { teardown(fn: () => void): void }, args: string[]): Launched {
  const child = spawn(...untappedNode([cliPath(), 'serve', ...args]), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('handoff serve did not start');
  groups.add(pid);
  const kill = (): void => {
    groups.delete(pid);
    killGroup(pid);
  };
  tt.teardown(kill);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { pid, stdout: () => out, stderr: () => err, exited, kill };
}

/** Resolves with the exit, or null when it has not exited within ms. */
async function exitWithin(l: Launched, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  try {
    return await Promise.race([l.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Live (non-zombie) members of the group: the master's whole tree, reparented or not. A zombie the canary
 * leaves to init is not a live process. */
const liveMembers = (pgid: number) => groupMembers(pgid).filter((p) => p.state !== 'Z');

t.test('the port is taken: exit 3 with one line, and no worker left', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as net.AddressInfo).port;
  for (const args of [
    ['--strategy', 'prefork'],
    ['--strategy', 'prefork', '--workers', '4', '--fault', 'zombie'],
    ['--strategy', 'cluster'],
    ['--strategy', 'cluster', '--workers', '4'],
    ['--strategy', 'per-connection', '--fault', 'zombie'],
    ['--strategy', 'inline', '--fault', 'zombie'], // the fault's helper process kept a failed start alive
  ]) {
    const name = args.join(' ');
    const l = launch(t, [...args, '--port', String(port)]);
    const exit = await exitWithin(l, 20_000);
    t.same(exit, { code: 3, signal: null }, `${name}: exit 3`);
    const lines = l.stderr().trim().split('\n');
    t.same(lines, [`handoff: cannot listen on 127.0.0.1:${port}: EADDRINUSE`], `${name}: exactly the one handoff line on stderr`);
    t.equal(l.stdout(), '', `${name}: nothing announced`);
    t.ok(await pollUntil(() => liveMembers(l.pid).length === 0, 10_000), `${name}: no process of its group left`);
    l.kill();
  }
});

/** Starts serve with many workers and waits until the master has spawned some that have not booted yet. */
async function launchBooting(t: { teardown(fn: () => void): void }, strategy: string): Promise<Launched> {
  const l = launch(t, ['--strategy', strategy, '--workers', '16', '--port', '0']);
  const spawned = await pollUntil(() => childrenOf(l.pid).length >= 2, 10_000, 5);
  if (!spawned) throw new Error(`${strategy}: no worker spawned within 10 s:\n${l.stderr()}`);
  return l;
}

for (const strategy of ['prefork', 'cluster']) {
  t.test(`${strategy}: workers do not outlive a master killed while they boot`, async (t) => {
    const l = await launchBooting(t, strategy);
    t.equal(l.stdout(), '', 'still starting (nothing announced)');
    process.kill(l.pid, 'SIGKILL');
    t.ok(await exitWithin(l, 5_000), 'master gone');
    const gone = await pollUntil(() => liveMembers(l.pid).length === 0, 15_000);
    t.ok(
      gone,
      `every worker exited by itself (left: ${
        liveMembers(l.pid)
          .map((p) => p.pid)
          .join(' ') || 'none'
      })`,
    );
  });

  t.test(`${strategy}: SIGTERM during start-up ends everything (exit 0, nothing announced)`, async (t) => {
    const l = await launchBooting(t, strategy);
    t.equal(l.stdout(), '', 'still starting (nothing announced)');
    process.kill(l.pid, 'SIGTERM');
    const exit = await exitWithin(l, 15_000);
    t.same(exit, { code: 0, signal: null }, 'the master shut down and exited 0');
    t.notMatch(l.stdout(), /listening/, 'never announced an address');
    t.ok(
      await pollUntil(() => liveMembers(l.pid).length === 0, 10_000),
      `no process of its group left (left: ${
        liveMembers(l.pid)
          .map((p) => p.pid)
          .join(' ') || 'none'
      })`,
    );
  });
}
