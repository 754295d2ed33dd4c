// --fault fd-leak creates its access log safely (issue 19, item 5; fdleak-symlink.sh): a symlink planted at the
// path it used to open in the shared temp directory is not followed, the victim is not appended to, and the
// canary still leaks its descriptor per connection.
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import t from 'tap';
import { cliPath } from '../../src/paths.js';
import { untappedNode } from '../helpers/untapped.js';
import { startOrigin } from '../helpers/origin.js';
import { rawExchange } from '../helpers/raw-http.js';
import { parseListening } from '../../src/proxy/protocol.js';

t.test('a planted symlink at the old predictable path is not followed', async (t) => {
  const victim = join(tmpdir(), `handoff-victim-${process.pid}.txt`);
  writeFileSync(victim, 'important data\n');
  t.teardown(() => rmSync(victim, { force: true }));
  // the proxy's pid is the shell's (exec): plant the link under that pid before the proxy starts
  const [cmd, args] = untappedNode([cliPath(), 'serve', '--strategy', 'inline', '--fault', 'fd-leak', '--port', '0']);
  const script = `ln -s "$1" "${tmpdir()}/handoff-access-$$.log"; exec "$0" "$@"`;
  const child = spawn('sh', ['-c', `${script.replace('"$1"', `'${victim}'`)}`, cmd, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const link = join(tmpdir(), `handoff-access-${child.pid}.log`);
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    rmSync(link, { force: true });
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const l = out
        .split('\n')
        .map(parseListening)
        .find((x) => x !== null);
      if (l) {
        clearTimeout(timer);
        resolve(l.port);
      }
    });
  });
  const origin = await startOrigin();
  t.teardown(() => origin.close());
  for (let i = 0; i < 3; i++) {
    const r = await rawExchange(port, `GET http://127.0.0.1:${origin.port}/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.equal(r.status, 200);
  }
  t.equal(readFileSync(victim, 'utf8'), 'important data\n', 'the victim was not appended to');
  const leaked = readdirSync(`/proc/${child.pid}/fd`).filter((fd) => {
    try {
      return /handoff-access-\d+\.log \(deleted\)$/.test(readlinkSync(`/proc/${child.pid}/fd/${fd}`));
    } catch {
      return false;
    }
  });
  t.ok(leaked.length >= 3, `the canary still leaks (${leaked.length} log descriptors)`);
  t.notOk(
    readdirSync(tmpdir()).some((n) => n.startsWith('handoff-fdleak-') && existsSync(join(tmpdir(), n, `handoff-access-${child.pid}.log`))),
    'nothing left on disk',
  );
});
