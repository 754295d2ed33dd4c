// Pure parts of the proxy: hop-by-hop stripping, Via, framing conflicts, destination/port/auth policy.
import t from 'tap';
import { appendVia, connectionTokens, endToEndHeaders, hasConflictingFraming } from '../../src/proxy/headers.js';
import { foreignAnswers, foreignOnlyLookup, localhostLookup, lookupFor } from '../../src/proxy/loopback-lookup.js';
import { connectPortAllowed, destinationAllowed, isLoopbackHost, parseAuthority, proxyAuthorized } from '../../src/proxy/policy.js';

t.test('endToEndHeaders drops RFC 9110 hop-by-hop fields and Connection-named ones', async (t) => {
  const raw = [
    'Host',
    'a',
    'Connection',
    'keep-alive, X-One',
    'connection',
    'x-two',
    'X-One',
    '1',
    'X-Two',
    '2',
    'Keep-Alive',
    'timeout=5',
    'Proxy-Connection',
    'keep-alive',
    'TE',
    'trailers',
    'Trailer',
    'X-T',
    'Transfer-Encoding',
    'chunked',
    'Upgrade',
    'h2c',
    'Proxy-Authorization',
    'Basic eA==',
    'Set-Cookie',
    'a=1',
    'Set-Cookie',
    'b=2',
    'X-Keep',
    'yes',
  ];
  t.same([...connectionTokens(raw)].sort(), ['keep-alive', 'x-one', 'x-two']);
  t.same(endToEndHeaders(raw), { host: 'a', 'set-cookie': ['a=1', 'b=2'], 'x-keep': 'yes' });
});

t.test('appendVia adds this hop after earlier ones', async (t) => {
  const h: Record<string, string | string[]> = {};
  appendVia(h, '1.1');
  t.equal(h.via, '1.1 handoff');
  const h2: Record<string, string | string[]> = { via: ['1.0 a', '1.1 b'] };
  appendVia(h2, '1.0');
  t.equal(h2.via, '1.0 a, 1.1 b, 1.0 handoff');
});

t.test('hasConflictingFraming', async (t) => {
  t.ok(hasConflictingFraming(['Content-Length', '3', 'Transfer-Encoding', 'chunked']));
  t.notOk(hasConflictingFraming(['Content-Length', '3']));
  t.notOk(hasConflictingFraming(['transfer-encoding', 'chunked']));
});

t.test('loopback and allow-list', async (t) => {
  for (const h of ['127.0.0.1', '127.9.8.7', 'localhost', '[::1]', '::1', '::ffff:127.0.0.1', 'foo.localhost']) {
    t.ok(isLoopbackHost(h), `${h} is loopback`);
  }
  for (const h of ['10.0.0.1', '128.0.0.1', '127.0.0.256', 'example.com', 'localhost.example.com', '::2', '']) {
    t.notOk(isLoopbackHost(h), `${h} is not loopback`);
  }
  t.ok(destinationAllowed('example.com', ['example.com']));
  t.ok(destinationAllowed('EXAMPLE.com', ['example.com']), 'case-insensitive');
  t.ok(destinationAllowed('a.example.com', ['*.example.com']));
  t.notOk(destinationAllowed('example.com', ['*.example.com']), '*.x does not match x itself');
  t.notOk(destinationAllowed('badexample.com', ['*.example.com']));
  t.ok(destinationAllowed('anything.test', ['*']));
  t.notOk(destinationAllowed('example.com', []));
  t.ok(connectPortAllowed(443, [443]));
  t.notOk(connectPortAllowed(22, [443]));
});

t.test('parseAuthority', async (t) => {
  t.same(parseAuthority('127.0.0.1:443'), { host: '127.0.0.1', port: 443 });
  t.same(parseAuthority('[::1]:8443'), { host: '::1', port: 8443 });
  t.same(parseAuthority('example.com:80'), { host: 'example.com', port: 80 });
  for (const bad of ['example.com', ':80', 'a:0', 'a:70000', 'a:b', '/path', 'a b:80', '']) {
    t.equal(parseAuthority(bad), null, `${JSON.stringify(bad)} rejected`);
  }
});

t.test('proxyAuthorized', async (t) => {
  const b = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  t.ok(proxyAuthorized(undefined, null), 'no auth configured: anyone');
  t.ok(proxyAuthorized(b('u:p'), 'u:p'));
  t.ok(proxyAuthorized(`basic ${Buffer.from('u:p').toString('base64')}`, 'u:p'), 'scheme case-insensitive');
  t.ok(proxyAuthorized(b('u:p:with:colons'), 'u:p:with:colons'), 'password may contain colons');
  t.notOk(proxyAuthorized(undefined, 'u:p'), 'missing');
  t.notOk(proxyAuthorized(b('u:x'), 'u:p'), 'wrong password');
  t.notOk(proxyAuthorized(b('u:p'), 'u:pp'), 'prefix is not enough');
  t.notOk(proxyAuthorized('Bearer abc', 'u:p'), 'other scheme');
  t.notOk(proxyAuthorized(b('u:p\u0000'), 'u:p'), 'a trailing NUL is not the same text');
});

t.test('IPv4-mapped loopback is loopback however it is written', async (t) => {
  t.ok(isLoopbackHost('::ffff:127.0.0.1'));
  t.ok(isLoopbackHost('[::ffff:7f00:1]'), 'the hex form WHATWG URL writes');
  t.ok(isLoopbackHost('::ffff:7f12:3456'));
  t.notOk(isLoopbackHost('::ffff:a00:1'), '::ffff:10.0.0.1');
});

t.test('localhost names are answered by the proxy itself (RFC 6761 §6.3), never by a resolver', async (t) => {
  t.equal(lookupFor('localhost'), localhostLookup);
  t.equal(lookupFor('localhost.'), localhostLookup, 'the absolute form too');
  t.equal(lookupFor('app.localhost'), localhostLookup);
  t.equal(lookupFor('127.0.0.1'), undefined, 'a literal needs no lookup');
  t.equal(lookupFor('example.com'), undefined, 'other names: the system resolver');
  t.equal(lookupFor('example.com', false), foreignOnlyLookup, 'under --public: answers on this host refused');
  const all = await new Promise<unknown>((resolve) => localhostLookup('evil.localhost', { all: true }, (err, a) => resolve(err ?? a)));
  t.same(all, [
    { address: '127.0.0.1', family: 4 },
    { address: '::1', family: 6 },
  ]);
  const v6 = await new Promise<unknown>((resolve) => localhostLookup('localhost.', { family: 6 }, (err, a) => resolve(err ?? a)));
  t.equal(v6, '::1');
  t.same(
    foreignAnswers([
      { address: '10.0.0.5', family: 4 },
      { address: '127.0.0.2', family: 4 },
      { address: '0.0.0.0', family: 4 },
      { address: '::1', family: 6 },
    ]),
    [{ address: '10.0.0.5', family: 4 }],
  );
});

t.test('under --public this host is no destination unless --allow-host names it exactly', async (t) => {
  t.ok(destinationAllowed('127.0.0.1', []), 'by default loopback is allowed');
  t.ok(destinationAllowed('0.0.0.0', []), 'the unspecified address is this host too');
  t.notOk(destinationAllowed('127.0.0.1', [], false));
  t.notOk(destinationAllowed('localhost', ['*'], false), '* means anything else, not this host');
  t.notOk(destinationAllowed('0.0.0.0', ['*'], false));
  t.notOk(destinationAllowed('[::]', ['*'], false));
  t.ok(destinationAllowed('127.0.0.1', ['127.0.0.1'], false), 'named exactly');
  t.ok(destinationAllowed('example.com', ['*'], false));
});

t.test('a Connection header cannot remove Content-Length (the body would go out unframed)', async (t) => {
  const out = endToEndHeaders(['Content-Length', '5', 'Connection', 'Content-Length, X-A', 'X-A', '1']);
  t.same(out, { 'content-length': '5' });
});
