// The forking fixtures' rare bugs, seen directly in /proc (no harness): at a rate of 0.5 with a seed, the C
// accept/fork server and the Python ForkingMixIn one keep a descriptor and leave a zombie for some connections
// and not for others; without a rate, none. The accuracy bench relies on exactly this.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import t, { type Test } from 'tap';
import { buildCFixture, fixturePath } from '../../bench/lib/fixtures.js';
import { FAULT_SEED_ENV } from '../../src/proxy/faults.js';
import { parseListening } from '../../src/proxy/protocol.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { freePort } from '../../src/harness/target.js';

const CONNECTIONS = 40;

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
  });
}

/** Starts a fixture in its own group; resolves its port (from `listening` or the one given). */
async function start(t: Test, argv: string[], port: number | null): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, [FAULT_SEED_ENV]: 'fixture-test' },
  });
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  let found: number | null = port;
  await pollUntil(async () => {
    if (found === null) for (const line of out.split('\n')) found ??= parseListening(line)?.port ?? null;
    if (found === null) return false;
    return get(found, '/ping').then(
      () => true,
      () => false,
    );
  }, 10_000);
  return { child, port: found! };
}

function zombiesOf(pid: number): number {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return f[0] === 'Z' && Number(f[1]) === pid;
      } catch {
        return false;
      }
    }).length;
}

function devNullFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === '/dev/null' && Number(fd) > 2;
    } catch {
      return false;
    }
  }).length;
}

/** argv(flags, port): the fixture's command; port null = it picks one and says so (`listening`). */
async function rareBugs(t: Test, argv: (flags: string[], port: number) => string[], picksPort: boolean): Promise<void> {
  const port = async (): Promise<number | null> => (picksPort ? null : freePort());
  const cleanPort = await port();
  const clean = await start(t, argv([], cleanPort ?? 0), cleanPort);
  const bodies: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) bodies.push(await get(clean.port, `/t/x${i}`));
  t.equal(bodies.filter((b, i) => b === `path=/t/x${i}\n`).length, CONNECTIONS, 'each answer echoes its path');
  await new Promise((r) => setTimeout(r, 500));
  t.equal(zombiesOf(clean.child.pid!), 0, 'no rate: no zombie');
  t.equal(devNullFds(clean.child.pid!), 0, 'no rate: no kept descriptor');
  process.kill(-clean.child.pid!, 'SIGKILL');
  const leakyPort = await port();
  const leaky = await start(t, argv(['--keep-fd-rate', '0.5', '--no-reap-rate', '0.5'], leakyPort ?? 0), leakyPort);
  for (let i = 0; i < CONNECTIONS; i++) await get(leaky.port, `/t/y${i}`);
  await new Promise((r) => setTimeout(r, 500));
  const z = zombiesOf(leaky.child.pid!);
  const fds = devNullFds(leaky.child.pid!);
  // binomial(40 + 1 readiness probe, 0.5): 8..33 with probability > 0.9999 (and the seed fixes the draws)
  t.ok(z >= 8 && z <= 33, `${z} zombies of ${CONNECTIONS} children`);
  t.ok(fds >= 8 && fds <= 33, `${fds} kept descriptors of ${CONNECTIONS} connections`);
}

const buildDir = mkdtempSync(join(tmpdir(), 'handoff-fixture-'));
t.teardown(() => rmSync(buildDir, { recursive: true, force: true }));
const built = buildCFixture(buildDir);
const noPython = spawnSync('python3', ['--version']).status !== 0 ? 'no python3' : false;

t.test('C accept/fork fixture: the bugs at a rate', { skip: built.ok ? false : built.reason }, async (t) => {
  if (built.ok) await rareBugs(t, (flags, port) => [built.path, String(port), ...flags], true);
});

t.test('Python ForkingMixIn fixture: the same flags', { skip: noPython }, async (t) => {
  await rareBugs(t, (flags, port) => ['python3', fixturePath('forking-server.py'), String(port), ...flags], false);
});
