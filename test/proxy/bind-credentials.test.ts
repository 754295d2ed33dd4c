// Bind policy and credentials (issue 19, items 3-4): a non-loopback --host is refused without --public, and
// --public needs credentials and stops treating loopback as a destination; credentials never come from argv
// (--auth is refused) but from HANDOFF_PROXY_AUTH or an owner-only --auth-file, compared in constant time, and
// masked in every report format; --keep-alive-timeout 0 is refused rather than meaning "never".
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cliPath } from '../../src/paths.js';
import { untappedNode } from '../helpers/untapped.js';
import { startProxy } from '../helpers/proxy-process.js';
import { startOrigin } from '../helpers/origin.js';
import { rawExchange } from '../helpers/raw-http.js';
import { loadCredentials, ownerOnly, parseCredentials, redactArgv, redactSecrets, REDACTED } from '../../src/proxy/credentials.js';
import { assertBindPolicy } from '../../src/proxy/bind-policy.js';
import { redactReport } from '../../src/report/redact.js';
import { renderReport } from '../../src/report/write.js';
import type { Report } from '../../src/model/report.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-creds-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** `handoff serve …` that must refuse at once: exit code and stderr (killed after 10 s if it starts instead). */
function serveRefusal(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stderr: string } {
  const [cmd, argv] = untappedNode([cliPath(), 'serve', '--port', '0', ...args]);
  const r = spawnSync(cmd, argv, {
    env: { ...process.env, HANDOFF_PROXY_AUTH: '', ...env },
    encoding: 'utf8',
    timeout: 10_000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, stderr: r.stderr };
}

t.test('a non-loopback bind is refused without --public, in one line, exit 2', async (t) => {
  for (const host of ['0.0.0.0', '::', '192.0.2.1']) {
    const r = serveRefusal(['--host', host]);
    t.equal(r.code, 2, `--host ${host}`);
    t.match(r.stderr, /--public/);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  const noCreds = serveRefusal(['--host', '0.0.0.0', '--public']);
  t.equal(noCreds.code, 2, '--public without credentials');
  t.match(noCreds.stderr, /requires credentials/);
  t.doesNotThrow(() => assertBindPolicy({ host: '127.0.0.1', public: false, auth: null }));
  t.doesNotThrow(() => assertBindPolicy({ host: '::1', public: false, auth: null }));
  t.doesNotThrow(() => assertBindPolicy({ host: '0.0.0.0', public: true, auth: 'u:p' }));
});

t.test('--auth on the command line is refused; so is --keep-alive-timeout 0', async (t) => {
  const r = serveRefusal(['--auth', 'user:s3cret']);
  t.equal(r.code, 2);
  t.match(r.stderr, /HANDOFF_PROXY_AUTH/);
  t.notMatch(r.stderr, /s3cret/, 'the refusal does not echo the password');
  const ka = serveRefusal(['--keep-alive-timeout', '0']);
  t.equal(ka.code, 2);
  t.match(ka.stderr, /--keep-alive-timeout "0" is too short/);
});

t.test('--auth-file must be an owner-only regular file, not a symlink', async (t) => {
  const file = join(dir, 'open');
  writeFileSync(file, 'user:s3cret\n');
  chmodSync(file, 0o644);
  const open = serveRefusal(['--auth-file', file]);
  t.equal(open.code, 2);
  t.match(open.stderr, /mode 0644/);
  const link = join(dir, 'link');
  const good = join(dir, 'good');
  writeFileSync(good, 'user:s3cret\n', { mode: 0o600 });
  symlinkSync(good, link);
  t.match(serveRefusal(['--auth-file', link]).stderr, /symbolic link/);
  t.equal(loadCredentials(good, {}), 'user:s3cret', 'the trailing newline is not part of it');
  t.throws(() => loadCredentials(good, { HANDOFF_PROXY_AUTH: 'a:b' }), /both/);
  t.equal(loadCredentials(undefined, { HANDOFF_PROXY_AUTH: 'a:b' }), 'a:b');
  t.equal(loadCredentials(undefined, {}), null);
  t.throws(() => parseCredentials('nocolon', 'x'), /user:pass/);
  t.ok(ownerOnly(0o100600) && ownerOnly(0o100400));
  t.notOk(ownerOnly(0o100640));
});

t.test('credentials from a 0600 file or the environment are required; --public stops loopback destinations', async (t) => {
  const origin = await startOrigin();
  t.teardown(() => origin.close());
  const file = join(dir, 'creds');
  writeFileSync(file, 'user:s3cret\n', { mode: 0o600 });
  const basic = `Basic ${Buffer.from('user:s3cret').toString('base64')}`;
  const ask = (port: number, auth?: string) =>
    rawExchange(
      port,
      `GET http://127.0.0.1:${origin.port}/x HTTP/1.1\r\nHost: x\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}Connection: close\r\n\r\n`,
    );

  const fromFile = await startProxy('inline', ['--auth-file', file]);
  t.teardown(() => fromFile.killGroup());
  t.equal((await ask(fromFile.port)).status, 407);
  t.equal((await ask(fromFile.port, `Basic ${Buffer.from('user:wrong').toString('base64')}`)).status, 407);
  t.equal((await ask(fromFile.port, basic)).status, 200);
  t.notMatch(readFileSync(`/proc/${fromFile.pid}/cmdline`, 'utf8'), /s3cret/, 'not on the command line');

  // --public on a loopback address (tests bind loopback only): the policy is what a public bind gets
  const pub = await startProxy('inline', ['--public'], 20_000, { HANDOFF_PROXY_AUTH: 'user:s3cret' });
  t.teardown(() => pub.killGroup());
  const refused = await ask(pub.port, basic);
  t.equal(refused.status, 403, 'loopback is no destination under --public');
  const named = await startProxy('inline', ['--public', '--allow-host', '127.0.0.1'], 20_000, { HANDOFF_PROXY_AUTH: 'user:s3cret' });
  t.teardown(() => named.killGroup());
  t.equal((await ask(named.port, basic)).status, 200, 'unless --allow-host names it');
  t.equal((await ask(named.port)).status, 407, 'and credentials are still required');
});

t.test('credentials are masked in argv, text and every report format', async (t) => {
  t.same(redactArgv(['serve', '--auth', 'u:pw12', '--token=abc', 'http://me:pw12@h/x']), [
    'serve',
    '--auth',
    REDACTED,
    `--token=${REDACTED}`,
    `http://me:${REDACTED}@h/x`,
  ]);
  t.equal(
    redactSecrets(`a u:pw12 b ${Buffer.from('u:pw12').toString('base64')} c pw12`, ['u:pw12']),
    `a ${REDACTED} b ${REDACTED} c ${REDACTED}`,
  );
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/reports/pass/report.json', import.meta.url), 'utf8')) as Report;
  // an older run as it was written: the password in argv and in the target's options
  const leaky: Report = {
    ...fixture,
    target: {
      ...fixture.target,
      command: [...fixture.target.command, '--auth', 'user:s3cretpw'],
      options: { ...(fixture.target.options ?? {}), auth: 'user:s3cretpw' },
    },
  };
  for (const format of ['json', 'md', 'html', 'junit'] as const) {
    const text = renderReport(leaky, format);
    t.notMatch(text, /s3cretpw/, `${format}: no password`);
    t.notMatch(text, new RegExp(Buffer.from('user:s3cretpw').toString('base64')), `${format}: no encoded credential`);
  }
  t.equal(redactReport(leaky).target.options?.auth, REDACTED);
});
