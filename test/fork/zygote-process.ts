// A fork zygote for the fork tests: `handoff serve --strategy fork` under the flags its own re-exec adds
// (--single-threaded given, so it does not re-exec) plus the test's V8 flags, in its own process group, killed
// with it at teardown. Its stdout and stderr are collected (V8's traces, the children's too, go to stdout).
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { cliPath } from '../../src/paths.js';
import { speedFlags } from '../../src/proxy/fork/zygote-guard.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { untappedNode } from '../helpers/untapped.js';

export interface TestZygote {
  pid: number;
  port: number;
  /** everything written so far */
  out(): string;
  err(): string;
}

export async function startZygote(t: Test, v8Flags: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<TestZygote> {
  const [command, args] = untappedNode([
    '--single-threaded',
    ...speedFlags([]),
    ...v8Flags,
    cliPath(),
    'serve',
    '--strategy',
    'fork',
    '--port',
    '0',
  ]);
  const zygote = spawn(command, args, { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    try {
      process.kill(-zygote.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  let out = '';
  let err = '';
  zygote.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  zygote.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const listening = /^listening [^\s:]+:(\d+)\n/m;
  if (!(await pollUntil(() => listening.test(out), 30_000))) throw new Error(`no listening line:\n${out.slice(-2000)}${err.slice(-2000)}`);
  return { pid: zygote.pid!, port: Number(listening.exec(out)![1]), out: () => out, err: () => err };
}
