import t from 'tap';
import { cmdlineText, formatCmdline, parseCmdline } from '../../src/harness/probes/parse-cmdline.js';
import { fixture } from './fixtures.js';

t.test('captured cmdline', async (t) => {
  const text = fixture('node-cmdline.txt');
  t.same(parseCmdline(text), ['node', '/tmp/fixture-proc.cjs', '/work/main/test/fixtures/proc']);
  t.equal(cmdlineText(text, 'node'), 'node /tmp/fixture-proc.cjs /work/main/test/fixtures/proc');
});

t.test('arguments with spaces and quotes stay readable and unambiguous', async (t) => {
  t.equal(formatCmdline(['sh', '-c', "sleep 30 & echo 'hi'"]), `sh -c 'sleep 30 & echo '\\''hi'\\'''`);
  t.equal(formatCmdline(['x', '']), "x ''");
});

t.test('empty argv (kernel thread, zombie) falls back to [comm]', async (t) => {
  t.same(parseCmdline(''), []);
  t.equal(cmdlineText('', 'kworker/0:1'), '[kworker/0:1]');
});

t.test('setproctitle-style padding', async (t) => {
  t.same(parseCmdline('postgres: writer process\0\0\0\0'), ['postgres: writer process']);
});
