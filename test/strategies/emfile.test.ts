// Descriptor exhaustion: under a low RLIMIT_NOFILE, a flood of idle connections drives the master into
// EMFILE. It must keep running (no crash, no wedge) and serve again once the clients go away.
import { spawn } from 'node:child_process';
import net from 'node:net';
import t from 'tap';
import { cliPath } from '../../src/paths.js';
import { parseListening } from '../../src/proxy/protocol.js';
import { startOrigin } from '../helpers/origin.js';
import { churnOnce, poll } from './churn.js';
import { killGroup } from './proc.js';

t.setTimeout(300_000);
const origin = await startOrigin();
t.teardown(() => origin.close());

// per-connection bounds its accept queue by a quarter of the limit: enough children make up the rest
for (const [strategy, nofile, args] of [
  ['per-connection', 48, ['--max-children', '16']],
  ['prefork', 48, ['--workers', '1']],
] as const) {
  await t.test(`${strategy}: EMFILE in the master, then recovery`, async (t) => {
    const child = spawn(
      'prlimit',
      [
        `--nofile=${nofile}:${nofile}`,
        '--',
        process.execPath,
        cliPath(),
        'serve',
        '--strategy',
        strategy,
        '--port',
        '0',
        '--headers-timeout',
        '2s',
        ...args,
      ],
      // without tap's NODE_OPTIONS loaders, which need descriptors of their own
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    const pid = child.pid as number;
    t.teardown(() => killGroup(pid));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        for (const line of out.split('\n')) {
          const l = parseListening(line);
          if (l) resolve(l.port);
        }
      });
      setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 20_000);
    });
    t.equal((await churnOnce(port, origin.port)).status, 200, 'serves before the flood');

    const idle: net.Socket[] = [];
    for (let i = 0; i < 80; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      idle.push(s);
    }
    const sawEmfile = await poll(() => /EMFILE/.test(stderr), 10_000);
    t.ok(sawEmfile, 'the master ran out of descriptors (EMFILE logged)');
    await new Promise((r) => setTimeout(r, 500));
    t.notOk(exited, 'and is still running');
    for (const s of idle) s.destroy();
    const recovered = await poll(async () => (await churnOnce(port, origin.port, '/again', 3_000)).status === 200, 30_000, 250);
    t.ok(recovered, 'serves again once the descriptors are free');
    t.notOk(exited, 'never crashed');
  });
}
