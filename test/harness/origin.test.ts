// The harness's origin runs inside the harness: a request-target the target under test forwards, however odd,
// must get an answer, never an exception that takes the harness down.
import net from 'node:net';
import t from 'tap';
import { requestUrl, startOrigin } from '../../src/harness/origin/server.js';
import { tokenPath } from '../../src/harness/origin/token.js';

function rawRequest(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: origin\r\nConnection: close\r\n\r\n`));
    socket.on('data', (d: string) => (answer += d));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer for ${target}`)));
  });
}

t.test('requestUrl reads a leading // as a path, not an authority', async (t) => {
  t.equal(requestUrl('//127.0.0.1:undefined/up')?.pathname, '//127.0.0.1:undefined/up');
  t.equal(requestUrl('/t/abc?size=3')?.searchParams.get('size'), '3');
  t.equal(requestUrl('http://127.0.0.1:9/t/abc')?.pathname, '/t/abc', 'absolute-form is accepted');
  t.equal(requestUrl(undefined)?.pathname, '/');
  t.equal(requestUrl('*'), null);
  t.equal(requestUrl('http://[bad/'), null);
});

t.test('the origin answers odd request-targets and keeps serving', async (t) => {
  const origin = await startOrigin();
  t.teardown(() => origin.close());
  t.match(await rawRequest(origin.port, '//127.0.0.1:undefined/up'), /^HTTP\/1\.1 404 /);
  t.match(await rawRequest(origin.port, '//evil/t/abc'), /^HTTP\/1\.1 404 /, 'a // path is not the token route');
  t.match(await rawRequest(origin.port, 'http://[bad/'), /^HTTP\/1\.1 400 /);
  const ok = await rawRequest(origin.port, tokenPath('still-alive'));
  t.match(ok, /^HTTP\/1\.1 200 /);
  t.match(ok, /token=still-alive\n/);
});
