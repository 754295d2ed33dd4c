import t from 'tap';
import { parseStatus } from '../../src/harness/probes/parse-status.js';
import { captured, fixture } from './fixtures.js';

t.test('captured node status', async (t) => {
  const status = parseStatus(fixture('node-status.txt'));
  t.match(status, {
    name: 'node',
    state: 'R',
    pid: captured.pid,
    ppid: 8666,
    vmRssBytes: 41704 * 1024,
    vmHwmBytes: 42264 * 1024,
    threads: 7,
    fdSize: 256,
  });
  t.equal(status.fields.Tgid, String(captured.pid));
});

t.test('a zombie has no VmRSS line: 0 bytes', async (t) => {
  t.match(parseStatus(fixture('status-zombie.txt')), { name: 'sleep', state: 'Z', ppid: 1, vmRssBytes: 0, threads: 1 });
});

t.test('empty text gives empty values', async (t) => {
  t.match(parseStatus(''), { name: '', state: '', pid: 0, vmRssBytes: 0 });
});
