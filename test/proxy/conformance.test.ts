// RFC 9110/9112 corners of forward.ts that an audit found broken: request framing that a client's Connection
// header or a long header list could strip (smuggling), answers node:http swallowed (101, malformed bodies,
// pipelined errors), a stalled body passed on as complete, uploads cut by a whole-request deadline, rewritten
// paths, Max-Forwards, and statuses for bad versions and methods. In-process, on one shared upstream pool (as
// inline, prefork and cluster run it), with origins of their own.
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { createForwardProxy } from '../../src/proxy/forward.js';
import { DEFAULT_PROXY_OPTIONS, type ProxyOptions } from '../../src/proxy/options.js';
import { connect, readAll, readResponse } from '../helpers/raw-http.js';

/** An origin that records every request it parses (path, headers, body) and answers with the path. */
async function recordingOrigin(): Promise<{
  port: number;
  seen: Array<{ url: string; headers: string[]; body: string }>;
  close(): Promise<void>;
}> {
  const seen: Array<{ url: string; headers: string[]; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.rawHeaders, body: Buffer.concat(chunks).toString('latin1') });
      if (req.url === '/no-content') {
        res.writeHead(204, { 'content-length': '5' }).end();
        return;
      }
      const body = `for ${req.url}`;
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  server.maxHeadersCount = 0; // see everything the proxy forwards
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An origin that reads one request head and then does whatever `answer` does with the raw socket. */
async function rawOrigin(answer: (socket: net.Socket, head: string) => void): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      answer(socket, buf);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function withProxy(options: Partial<ProxyOptions>, fn: (port: number) => Promise<void>): Promise<void> {
  const proxy = createForwardProxy({ ...DEFAULT_PROXY_OPTIONS, ...options });
  await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', r));
  try {
    await fn((proxy.server.address() as net.AddressInfo).port);
  } finally {
    await proxy.close(0);
  }
}

const origin = await recordingOrigin();
t.teardown(() => origin.close());
const at = (path: string): string => `http://127.0.0.1:${origin.port}${path}`;

/** The bytes that would be a second request if the proxy forwarded this body unframed. */
const SMUGGLED = `GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

async function smuggleThenAsk(port: number, firstHead: string): Promise<string> {
  const a = await connect(port);
  a.write(`${firstHead}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`);
  const first = await readResponse(a);
  a.destroy();
  // another client, on the proxy's pooled upstream connection: it must get its own answer
  const b = await connect(port);
  b.write(`GET ${at('/b')} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const second = await readResponse(b);
  b.destroy();
  return `${first.status} ${first.body} | ${second.status} ${second.body}`;
}

t.test('a body stays framed whatever Connection lists: no request smuggled to the origin', async (t) => {
  origin.seen.length = 0;
  await withProxy({}, async (port) => {
    const answers = await smuggleThenAsk(port, `POST ${at('/a')} HTTP/1.1\r\nHost: x\r\nConnection: Content-Length\r\n`);
    t.equal(answers, '200 for /a | 200 for /b', 'each client gets its own answer');
  });
  t.same(
    origin.seen.map((r) => r.url),
    ['/a', '/b'],
    'the origin parsed no third request',
  );
  t.equal(origin.seen[0].body, SMUGGLED, 'the body reached the origin as a body');
});

t.test('a request with more than 1000 fields is forwarded whole, framing included', async (t) => {
  origin.seen.length = 0;
  const many = 'X-Filler: y\r\n'.repeat(1100);
  await withProxy({ maxHeaderSize: 64 * 1024 }, async (port) => {
    const answers = await smuggleThenAsk(port, `POST ${at('/many')} HTTP/1.1\r\nHost: x\r\n${many}`);
    t.equal(answers, '200 for /many | 200 for /b');
  });
  t.same(
    origin.seen.map((r) => r.url),
    ['/many', '/b'],
    'no smuggled request',
  );
  const fillers = origin.seen[0].headers.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'x-filler').length;
  t.equal(fillers, 1100, 'every field was forwarded');
});

t.test('path and query are forwarded exactly as written (RFC 9110 §7.7)', async (t) => {
  origin.seen.length = 0;
  const paths = ['/a/../echo', '/a/%2e%2e/echo', '/echo/%2E%2e', "/q?x='a'&y=%41", '/echo{x}|^`', '/'];
  await withProxy({}, async (port) => {
    for (const p of paths) {
      const s = await connect(port);
      s.write(`GET ${at(p)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      t.equal((await readResponse(s)).status, 200, p);
      s.destroy();
    }
    const s = await connect(port);
    s.write(`GET http://127.0.0.1:${origin.port}?only=query HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.equal((await readResponse(s)).status, 200);
    s.destroy();
    const noHost = await connect(port);
    noHost.write(`GET http:///echo HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal((await readResponse(noHost)).status, 400, 'http:///path has no authority: 400, not a host named "echo"');
    noHost.destroy();
  });
  t.same(
    origin.seen.map((r) => r.url),
    [...paths, '/?only=query'],
  );
});

t.test('an unsolicited 101 from the origin is a 502, at once', async (t) => {
  const upgrading = await rawOrigin((s) => s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: upgrade\r\n\r\n'));
  t.teardown(() => upgrading.close());
  await withProxy({ upstreamTimeoutMs: 20_000 }, async (port) => {
    const s = await connect(port);
    s.write(`GET http://127.0.0.1:${upgrading.port}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
    const r = await readResponse(s, 5_000);
    t.equal(r.status, 502);
    t.match(r.body, /101/);
    s.destroy();
  });
});

t.test('a close-delimited body stalled past --upstream-timeout is cut, not ended cleanly', async (t) => {
  const stalling = await rawOrigin((s) => s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst half'));
  t.teardown(() => stalling.close());
  await withProxy({ upstreamTimeoutMs: 300 }, async (port) => {
    const s = await connect(port);
    s.write(`GET http://127.0.0.1:${stalling.port}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
    const raw = await readAll(s, 5_000);
    t.match(raw, /^HTTP\/1\.1 200/);
    t.match(raw, /first half/);
    t.notMatch(raw, /\r\n0\r\n\r\n$/, 'no final chunk: the client can tell the body is incomplete');
  });
});

t.test('a malformed request body gets 400 and the upstream request is dropped', async (t) => {
  origin.seen.length = 0;
  await withProxy({}, async (port) => {
    for (const bad of ['zz\r\nhello\r\n0\r\n\r\n', '5\r\nhelloXX0\r\n\r\n']) {
      const s = await connect(port);
      s.write(`POST ${at('/chunked')} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${bad}`);
      const raw = await readAll(s, 5_000);
      t.match(raw, /^HTTP\/1\.1 400 /, JSON.stringify(bad));
      t.match(raw, /connection: close/i);
    }
  });
  t.equal(origin.seen.length, 0, 'the origin never saw a complete request');
});

t.test('a valid request pipelined before a malformed one is answered first, then 400', async (t) => {
  await withProxy({}, async (port) => {
    const s = await connect(port);
    s.write(`GET ${at('/first')} HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n`);
    const raw = await readAll(s, 5_000);
    t.match(raw, /^HTTP\/1\.1 200 [\s\S]*for \/first[\s\S]*HTTP\/1\.1 400 /, 'the 200 for /first, then the 400');
  });
});

t.test('a CONNECT pipelined behind a request waits for its response', async (t) => {
  const echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  t.teardown(() => echo.close());
  const echoPort = (echo.address() as net.AddressInfo).port;
  await withProxy({ connectPorts: [echoPort] }, async (port) => {
    const s = await connect(port);
    s.write(`GET ${at('/before')} HTTP/1.1\r\nHost: x\r\n\r\nCONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const first = await readResponse(s);
    t.equal(first.status, 200);
    t.equal(first.body, 'for /before', 'the GET is answered first');
    const tunnel = await readResponse(s, 5_000, { noBody: true });
    t.equal(tunnel.status, 200, 'then the tunnel is established');
    s.write('ping');
    const echoed = await new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())).resume());
    t.equal(echoed, 'ping');
    s.destroy();
  });
});

t.test('an upload that keeps moving outlasts --upstream-timeout; one that stalls gets 408', async (t) => {
  origin.seen.length = 0;
  // client and proxy share this process: gaps well under the limit, so a stalled process does not look idle
  await withProxy({ upstreamTimeoutMs: 1_000 }, async (port) => {
    const s = await connect(port);
    s.write(`POST ${at('/slow')} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n`);
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      s.write('x');
    }
    const r = await readResponse(s, 5_000);
    t.equal(r.status, 200, 'a 2 s upload at a byte per 200 ms is not cut at 1 s');
    t.equal(r.body, 'for /slow');
    s.destroy();

    const stalled = await connect(port);
    stalled.write(`POST ${at('/stalled')} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nxxx`);
    const r2 = await readResponse(stalled, 5_000);
    t.equal(r2.status, 408, 'the client stopped sending: 408, not a 504 blaming the origin');
    stalled.destroy();
  });
  t.same(
    origin.seen.map((r) => r.url),
    ['/slow'],
  );
});

t.test('Max-Forwards: 0 is answered by the proxy, other values count down (TRACE, OPTIONS)', async (t) => {
  origin.seen.length = 0;
  await withProxy({}, async (port) => {
    const ask = async (head: string) => {
      const s = await connect(port);
      s.write(head);
      const r = await readResponse(s);
      s.destroy();
      return r;
    };
    const options = await ask(`OPTIONS ${at('/o')} HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n\r\n`);
    t.equal(options.status, 200);
    t.match(options.headers.allow, /GET/);
    const trace = await ask(
      `TRACE ${at('/t')} HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\nProxy-Authorization: Basic c2VjcmV0\r\nX-Mine: 1\r\n\r\n`,
    );
    t.equal(trace.status, 200);
    t.equal(trace.headers['content-type'], 'message/http');
    t.match(trace.body, /^TRACE http:\/\/127\.0\.0\.1:\d+\/t HTTP\/1\.1\r\n[\s\S]*X-Mine: 1/);
    t.notMatch(trace.body, /c2VjcmV0/, 'credentials are not reflected');
    t.equal(origin.seen.length, 0, 'neither reached the origin');
    t.equal((await ask(`OPTIONS ${at('/o5')} HTTP/1.1\r\nHost: x\r\nMax-Forwards: 5\r\n\r\n`)).status, 200);
    const forwarded = origin.seen[0].headers;
    t.equal(forwarded[forwarded.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'max-forwards') + 1], '4');
    t.equal((await ask(`GET ${at('/g')} HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n\r\n`)).status, 200, 'GET ignores it');
  });
});

t.test('statuses for what cannot be forwarded: versions, methods, Host twice, sizes', async (t) => {
  await withProxy({}, async (port) => {
    const ask = async (data: string) => {
      const s = await connect(port);
      s.write(data);
      const r = await readResponse(s);
      s.destroy();
      return r.status;
    };
    t.equal(await ask(`GET ${at('/v')} HTTP/2.0\r\nHost: x\r\n\r\n`), 505);
    t.equal(await ask(`FOO ${at('/m')} HTTP/1.1\r\nHost: x\r\n\r\n`), 501, 'a well-formed line with an unknown method');
    t.equal(await ask('THIS IS NOT HTTP\r\n\r\n'), 400, 'not a request line at all');
    t.equal(await ask(`GET ${at('/h')} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`), 400);
    t.equal(await ask(`GET ${at(`/${'u'.repeat(20_000)}`)} HTTP/1.1\r\nHost: x\r\n\r\n`), 414, 'a request line over the limit');
    t.equal(await ask(`GET ${at('/f')} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`), 431, 'a field over it');
  });
});

t.test('origin answers that cannot be relayed as they are', async (t) => {
  const odd = await rawOrigin((s, head) => {
    if (head.startsWith('GET /600')) s.end('HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n');
    else if (head.startsWith('GET /gzip')) s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nnot really gzip');
    else s.end('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  t.teardown(() => odd.close());
  await withProxy({}, async (port) => {
    const raw = async (path: string) => {
      const s = await connect(port);
      s.write(`GET http://127.0.0.1:${odd.port}${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      return readAll(s, 5_000);
    };
    t.match(await raw('/600'), /^HTTP\/1\.1 502 /, 'a status past 599');
    t.match(await raw('/gzip'), /^HTTP\/1\.1 502 [\s\S]*gzip/, 'a transfer-coding other than chunked');
    t.match(
      await raw('/hints'),
      /^HTTP\/1\.1 103 [\s\S]*link: <\/style\.css>; rel=preload[\s\S]*HTTP\/1\.1 200 /i,
      '103 Early Hints travel on',
    );
  });
  await withProxy({}, async (port) => {
    const s = await connect(port);
    s.write(`GET ${at('/no-content')} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const r = await readResponse(s);
    t.equal(r.status, 204);
    t.notOk(r.headerNames.includes('content-length'), 'a 204 carries no Content-Length');
    s.destroy();
  });
});

t.test('an Upgrade request is refused (501, close) and nothing pipelined behind it is lost unseen', async (t) => {
  origin.seen.length = 0;
  await withProxy({}, async (port) => {
    const s = await connect(port);
    // three requests in one write: an ordinary one, an Upgrade, one behind it
    s.write(
      `GET ${at('/before')} HTTP/1.1\r\nHost: x\r\n\r\n` +
        `GET ${at('/ws')} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n` +
        `GET ${at('/after')} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    const raw = await readAll(s, 5_000);
    const statuses = [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    t.same(statuses, ['200', '501'], 'the one before is answered, the upgrade refused, then the connection ends');
    t.match(raw, /for \/before/);
    t.match(raw, /501 Not Implemented[\s\S]*connection: close/i);
  });
  t.same(
    origin.seen.map((r) => r.url),
    ['/before'],
    'neither the upgrade nor what followed reached the origin',
  );
});

t.test('Expect: 100-continue is answered only once auth and policy said yes', async (t) => {
  await withProxy({ auth: 'u:p' }, async (port) => {
    const ask = async (target: string, auth: string): Promise<string> => {
      const s = await connect(port);
      s.write(`PUT ${target} HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 4\r\nExpect: 100-continue\r\n\r\n`);
      const first = await readResponse(s, 5_000, { noBody: true });
      s.destroy();
      return String(first.status);
    };
    const good = `Proxy-Authorization: Basic ${Buffer.from('u:p').toString('base64')}\r\n`;
    t.equal(await ask(at('/up'), ''), '407', 'no credentials: 407, no 100 first');
    t.equal(await ask('http://192.0.2.1/up', good), '403', 'a refused destination: 403, no 100 first');
    t.equal(await ask(at('/up'), good), '100', 'allowed: 100 Continue');
  });
});

t.test('the tunnel idle timeout is a no-progress timer: a stalled proxy does not cut a tunnel that kept moving', async (t) => {
  const echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  t.teardown(() => echo.close());
  const echoPort = (echo.address() as net.AddressInfo).port;
  await withProxy({ connectPorts: [echoPort], tunnelIdleTimeoutMs: 300 }, async (port) => {
    const s = await connect(port);
    s.write(`CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal((await readResponse(s, 5_000, { noBody: true })).status, 200);
    s.resume();
    await new Promise((r) => setTimeout(r, 250));
    s.write('a');
    await new Promise((r) => setTimeout(r, 10));
    // a byte goes out, then this process (the proxy's too) stalls past the deadline: the byte is there when it
    // wakes, but expired timers run before the I/O is delivered
    s.write('b');
    const until = Date.now() + 450;
    while (Date.now() < until) {
      // busy: a descheduled or overloaded proxy
    }
    await new Promise((r) => setTimeout(r, 50));
    t.notOk(s.destroyed || s.readableEnded, 'the tunnel is still open after the stall');
    const closedAt = Date.now();
    // the client connection is half-open capable: the proxy's close shows as its FIN (or a reset)
    const ended = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3_000);
      for (const ev of ['end', 'close', 'error'])
        s.once(ev, () => {
          clearTimeout(timer);
          resolve(true);
        });
    });
    s.destroy();
    t.ok(ended && Date.now() - closedAt < 2_000, 'and idle afterwards, it is closed');
  });
});

t.test('an origin body that fails before its first byte is a 502 (504 when it stalls); after it, a cut', async (t) => {
  const bad = await rawOrigin((s, head) => {
    if (head.startsWith('GET /bad-chunk')) s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
    else if (head.startsWith('GET /late-bad-chunk')) {
      // the bad chunk comes once the first one has been relayed (in one packet, the whole answer is a 502)
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => s.end('zz\r\n'), 150);
    } else if (head.startsWith('GET /head-then-close')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
    else if (head.startsWith('GET /head-then-stall')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
    else s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
  t.teardown(() => bad.close());
  await withProxy({ upstreamTimeoutMs: 400 }, async (port) => {
    const get = async (path: string): Promise<string> => {
      const s = await connect(port);
      s.write(`GET http://127.0.0.1:${bad.port}${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      return readAll(s, 5_000);
    };
    t.match(
      await get('/bad-chunk'),
      /^HTTP\/1\.1 502 [\s\S]*malformed body/,
      'a malformed first chunk: the client gets a status, not a bare EOF',
    );
    t.match(
      await get('/head-then-close'),
      /^HTTP\/1\.1 502 [\s\S]*closed the connection before its body/,
      'a head promising 100 bytes, then close',
    );
    t.match(await get('/head-then-stall'), /^HTTP\/1\.1 504 /, 'a head, then nothing for --upstream-timeout');
    const late = await get('/late-bad-chunk');
    t.match(late, /^HTTP\/1\.1 200 [\s\S]*hello/, 'once body bytes went out, the status stands');
    t.notMatch(late, /\r\n0\r\n\r\n$/, '... and the body is cut, never ended cleanly');
    t.match(await get('/empty'), /^HTTP\/1\.1 200 [\s\S]*content-length: 0/i, 'an empty body still gets its head');
  });
});
