// A harness killed outright (SIGKILL, the OOM killer) cannot run its cleanup: the guardian must end the target's
// process group for it. A stand-in harness starts a target group, then SIGKILLs itself.
import { spawn, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { startGuardian } from '../../src/harness/guardian.js';
import { compiled } from '../../src/paths.js';
import { killGroup } from '../strategies/proc.js';

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/**
 * A stand-in harness: starts `sleep 60` in a group of its own, guarded or not (with the root's start time, or a
 * wrong one: a reused pid), prints its pgid, dies by SIGKILL.
 */
function killedHarness(guarded: boolean, startOffset = 0): Promise<number> {
  const guardian = pathToFileURL(compiled('src/harness/guardian.js')).href;
  const code = `
    import { spawn } from 'node:child_process';
    import { readFileSync } from 'node:fs';
    import { startGuardian } from ${JSON.stringify(guardian)};
    const target = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const starttime = Number(readFileSync('/proc/' + target.pid + '/stat', 'utf8').split(') ')[1].split(' ')[19]) + ${startOffset};
    if (${guarded}) startGuardian({ root: target.pid, starttime, runId: 'guardian-test' });
    process.stdout.write(target.pid + '\\n', () => setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300));
  `;
  return new Promise((resolve, reject) => {
    const harness = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    harness.stdout.on('data', (d: Buffer) => (out += d));
    harness.on('exit', (_code, signal) =>
      signal === 'SIGKILL' && /^\d+\n/.test(out) ? resolve(Number(out)) : reject(new Error(`stand-in harness: ${signal} ${out}`)),
    );
  });
}

t.test('the target group dies with a harness killed outright', async (t) => {
  const pgid = await killedHarness(true);
  t.teardown(() => killGroup(pgid));
  t.ok(await until(() => !groupAlive(pgid), 3_000), 'the guardian killed the group within 3 s of the harness');
});

t.test('a group whose leader is not the one it was given (pid reuse) is left alone', async (t) => {
  const pgid = await killedHarness(true, 1);
  t.teardown(() => killGroup(pgid));
  await new Promise((r) => setTimeout(r, 1_000));
  t.ok(groupAlive(pgid), 'a start time that does not match: not ours, not signalled');
});

t.test('without the guardian the same target outlives its harness (what the guardian is for)', async (t) => {
  const pgid = await killedHarness(false);
  t.teardown(() => killGroup(pgid));
  await new Promise((r) => setTimeout(r, 1_000));
  t.ok(groupAlive(pgid), 'still running a second after the harness died');
});

t.test('stop() ends the guardian itself, and a stopped guardian kills nothing', async (t) => {
  const target = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  t.teardown(() => killGroup(target.pid!));
  const g = startGuardian({ root: target.pid!, starttime: 0, runId: 'guardian-test' });
  t.ok(g && g.pid > 0);
  await until(() => spawnSync('pgrep', ['-g', String(g!.pid)], { encoding: 'utf8' }).stdout.trim() !== '', 2_000);
  g!.stop();
  t.ok(await until(() => !groupAlive(g!.pid), 2_000), 'the guardian (sh and tail) is gone');
  t.ok(groupAlive(target.pid!), 'and the target it watched for us is untouched');
});
