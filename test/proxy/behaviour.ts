// The forward proxy's behaviour, as seen from outside: one suite run unchanged against every strategy.
// Each strategy's test file calls `await behaviourSuite(t, { strategy: 'x', args: [...] })`. Proxies run as
// real `handoff serve` processes (own process group, killed by group at the end); origins run in this process.
import http from 'node:http';
import type net from 'node:net';
import { createHash } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import type { t as tapT } from 'tap';
import { startOrigin, startTcpOrigins, closedPort, type EchoBody, type TestOrigin, type TcpOrigins } from '../helpers/origin.js';
import { connect, rawExchange, readResponse, readAll, waitForEnd } from '../helpers/raw-http.js';
import { startProxy, groupAlive, pollUntil, type ProxyProcess } from '../helpers/proxy-process.js';

type Tap = typeof tapT;

/** Ids of the behaviour tests, so a strategy may skip one that cannot apply to it (say why in its file). */
export const BEHAVIOUR_TESTS = [
  'methods',
  'keep-alive',
  'stream-upload',
  'stream-download',
  'early-response',
  'connect-round-trip',
  'connect-half-close',
  'connect-policy',
  'hop-by-hop',
  'via',
  'bad-input',
  'origin-failures',
  'limits',
  'slow-client',
  'auth',
  'still-serving',
  'client-aborts',
  'fds-drained',
  'shutdown-in-flight',
  'shutdown-at-once',
] as const;
export type BehaviourTest = (typeof BEHAVIOUR_TESTS)[number];

export interface BehaviourOptions {
  strategy: string;
  /** extra `handoff serve` flags for every proxy this suite starts */
  args?: string[];
  /** tests that do not apply to this strategy */
  skip?: BehaviourTest[];
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request through the proxy with node:http (absolute-form request line). */
function viaProxy(
  proxyPort: number,
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent; timeoutMs?: number } = {},
): Promise<Reply & { reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: proxyPort,
      method,
      path: url,
      headers: {
        host: new URL(url).host,
        // node:http sends no framing for a DELETE/OPTIONS body unless told: say it explicitly
        ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}),
        ...opts.headers,
      },
      agent: opts.agent ?? false,
    });
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error(`${method} ${url}: no answer in time`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket }),
      );
    });
    req.end(opts.body);
  });
}

const basic = (userPass: string): string => `Basic ${Buffer.from(userPass).toString('base64')}`;

/** Socket fds of one process (Linux /proc). */
function socketFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return -1;
  }
}

async function connectThrough(
  proxyPort: number,
  target: string,
  extraHeaders = '',
): Promise<{ socket: net.Socket; status: number; body: string }> {
  const socket = await connect(proxyPort);
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${extraHeaders}\r\n`);
  const res = await readResponse(socket, 10_000, { noBody: true });
  return { socket, status: res.status, body: res.body };
}

export async function behaviourSuite(tap: Tap, opts: BehaviourOptions): Promise<void> {
  // one parent test holds the setup awaits between subtests (the top level would end itself when idle)
  await tap.test(`${`forward-proxy behaviour (--strategy ${opts.strategy} ${(opts.args ?? []).join(' ')}`.trimEnd()})`, (t) =>
    suite(t as unknown as Tap, opts),
  );
}

async function suite(t: Tap, opts: BehaviourOptions): Promise<void> {
  const extra = opts.args ?? [];
  const skip = new Set<string>(opts.skip ?? []);
  const cleanups: Array<() => Promise<void> | void> = [];
  t.teardown(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const origin: TestOrigin = await startOrigin();
  cleanups.push(() => origin.close());
  const tcp: TcpOrigins = await startTcpOrigins();
  cleanups.push(() => tcp.close());
  const deadPort = await closedPort();
  const o = (path: string): string => `http://127.0.0.1:${origin.port}${path}`;

  const launch = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProxyProcess> => {
    const p = await startProxy(opts.strategy, [...args, ...extra], 20_000, env);
    cleanups.push(() => p.killGroup());
    return p;
  };
  const connectPorts = ['--connect-ports', `${tcp.echoPort},${tcp.speakFirstPort},${deadPort}`];
  // 2s: node:http clients do not reuse a connection whose Keep-Alive hint is timeout=1
  const main = await launch([...connectPorts, '--keep-alive-timeout', '2s']);
  const mainSocketBaseline = socketFds(main.pid);

  const test = (id: BehaviourTest, name: string, fn: Parameters<Tap['test']>[0]): Promise<unknown> =>
    skip.has(id)
      ? t.test(`${id}: ${name}`, { skip: `not applicable to ${opts.strategy}` }, () => {})
      : // well under tap's per-file timeout, so a hung test fails alone and teardown still kills the proxies
        t.test(`${id}: ${name}`, { timeout: 60_000 }, fn);

  await test('methods', 'every method is forwarded with its path, query and body', async (t) => {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const withBody = !['GET', 'HEAD', 'OPTIONS'].includes(method);
      const r = await viaProxy(main.port, method, o(`/m/${method}?q=1&r=two`), withBody ? { body: `body of ${method}` } : {});
      t.equal(r.status, 200, `${method} status`);
      if (method === 'HEAD') {
        t.equal(r.body.length, 0, 'HEAD has no body');
        continue;
      }
      const echo = JSON.parse(r.body.toString()) as EchoBody;
      t.equal(echo.method, method, `${method} reached the origin as ${method}`);
      t.equal(echo.url, `/m/${method}?q=1&r=two`, `${method} origin-form path and query`);
      t.equal(echo.headers.host, `127.0.0.1:${origin.port}`, `${method} Host`);
      if (withBody) t.equal(echo.bodyBytes, Buffer.byteLength(`body of ${method}`), `${method} body forwarded`);
    }
  });

  await test('keep-alive', 'client connection kept alive; origin connection reused by the agent', async (t) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = origin.connectionsAccepted();
      const replies = [];
      for (let i = 0; i < 4; i++) replies.push(await viaProxy(main.port, 'GET', o(`/ka/${i}`), { agent }));
      t.ok(
        replies.every((r) => r.status === 200),
        'all answered 200',
      );
      t.same(
        replies.map((r) => r.reusedSocket),
        [false, true, true, true],
        'requests 2..4 reused the client connection',
      );
      // the proxy's pool may already hold an origin connection from earlier tests, hence "at most"
      t.ok(origin.connectionsAccepted() - before <= 1, 'at most one new origin connection served all four');
    } finally {
      agent.destroy();
    }
  });

  await test('stream-upload', 'an 8 MiB upload streams both ways (echo starts before the upload ends)', async (t) => {
    const total = 8 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024);
    for (let i = 0; i < piece.length; i++) piece[i] = (i * 31) & 0xff;
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let received = 0;
    const req = http.request({
      host: '127.0.0.1',
      port: main.port,
      method: 'POST',
      path: o('/stream?stream=1'),
      headers: { host: `127.0.0.1:${origin.port}`, 'transfer-encoding': 'chunked' },
      agent: false,
    });
    const firstBytes = new Promise<void>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        res.on('data', (c: Buffer) => {
          received += c.length;
          got.update(c);
          resolve();
        });
      });
    });
    const ended = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        t.equal(res.statusCode, 200, 'status 200');
        res.on('end', () => resolve(received));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    const write = (buf: Buffer): Promise<void> =>
      new Promise((resolve) => {
        sent.update(buf);
        if (req.write(buf)) resolve();
        else req.once('drain', resolve);
      });
    let written = 0;
    // first MiB, then wait for the echo: a proxy that buffers the whole upload would never answer here
    while (written < 1024 * 1024) {
      await write(piece);
      written += piece.length;
    }
    const streamed = await Promise.race([firstBytes.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    t.ok(streamed, 'echoed bytes arrived while the upload was still running');
    if (!streamed) {
      req.destroy();
      return;
    }
    while (written < total) {
      await write(piece);
      written += piece.length;
    }
    req.end();
    t.equal(await ended, total, 'every byte came back');
    t.equal(got.digest('hex'), sent.digest('hex'), 'same bytes, same order');
  });

  await test('stream-download', 'an 8 MiB response streams (Content-Length and chunked)', async (t) => {
    const size = 8 * 1024 * 1024;
    for (const q of [`size=${size}`, `size=${size}&chunked=1`]) {
      const r = await viaProxy(main.port, 'GET', o(`/big?${q}`));
      t.equal(r.status, 200, `${q}: status`);
      t.equal(r.body.length, size, `${q}: every byte`);
    }
  });

  await test('early-response', 'an origin answering before the upload ends: the client gets it and the connection lives on', async (t) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = Buffer.alloc(20 * 1024 * 1024, 'e');
      const lateErrors: string[] = [];
      const first = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1',
          port: main.port,
          method: 'POST',
          path: o('/early?early=1'),
          headers: { host: `127.0.0.1:${origin.port}`, 'content-length': String(body.length) },
          agent,
        });
        req.setTimeout(15_000, () => req.destroy(new Error('no answer in time')));
        // an error after the answer (upload reset by the proxy) is what this test is about
        req.on('error', (err) => {
          lateErrors.push(err.message);
          reject(err);
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.end(body);
      });
      t.equal(first.status, 200, 'early answer delivered');
      t.equal(first.text, 'early', 'with its body');
      const again = await viaProxy(main.port, 'GET', o('/after-early'), { agent });
      t.same(lateErrors, [], 'the rest of the upload was drained, not reset');
      t.equal(again.status, 200, 'next request served');
    } finally {
      agent.destroy();
    }
  });

  await test('connect-round-trip', 'CONNECT tunnels bytes both ways', async (t) => {
    const { socket, status } = await connectThrough(main.port, `127.0.0.1:${tcp.echoPort}`);
    try {
      t.equal(status, 200, 'tunnel established');
      const echoed = new Promise<string>((resolve) => {
        let text = '';
        const onData = (d: Buffer): void => {
          text += d.toString();
          if (text.length >= 'ping through the tunnel'.length) {
            socket.off('data', onData);
            resolve(text);
          }
        };
        socket.on('data', onData);
        socket.resume();
      });
      socket.write('ping through the tunnel');
      t.equal(await echoed, 'ping through the tunnel', 'echoed');
    } finally {
      socket.destroy();
    }
  });

  await test('connect-half-close', 'CONNECT passes a FIN through in each direction on its own', async (t) => {
    // client → origin: the client half-closes; the origin sees EOF, still answers, then closes
    {
      const { socket, status } = await connectThrough(main.port, `127.0.0.1:${tcp.echoPort}`);
      try {
        t.equal(status, 200, 'tunnel to echo');
        const all = readAll(socket, 10_000);
        socket.end('last words');
        t.equal(await all, 'last words[eof]', 'origin saw our FIN, answered after it, then its FIN reached us');
      } finally {
        socket.destroy();
      }
    }
    // origin → client: the origin speaks and half-closes first; the client still gets to send
    {
      const received = tcp.nextSpeakFirstReceived();
      const { socket, status } = await connectThrough(main.port, `127.0.0.1:${tcp.speakFirstPort}`);
      try {
        t.equal(status, 200, 'tunnel to speak-first');
        t.equal(await readAll(socket, 10_000), 'hello', "origin's FIN reached us after its data");
        socket.end('written after EOF');
        t.equal(await received, 'written after EOF', 'our data after their FIN still reached the origin');
      } finally {
        socket.destroy();
      }
    }
  });

  await test('connect-policy', 'CONNECT: port not allowed 403, bad target 400, refused 502, non-loopback 403', async (t) => {
    let r = await rawExchange(main.port, `CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal(r.status, 403, 'port outside --connect-ports');
    r = await rawExchange(main.port, `CONNECT no-port-here HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal(r.status, 400, 'authority without port');
    r = await rawExchange(main.port, `CONNECT 127.0.0.1:${deadPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal(r.status, 502, 'nothing listening');
    r = await rawExchange(main.port, `CONNECT 192.0.2.1:${tcp.echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal(r.status, 403, 'non-loopback destination');
  });

  await test('hop-by-hop', 'hop-by-hop headers are removed both ways, Connection tokens included', async (t) => {
    const r = await rawExchange(
      main.port,
      [
        `GET ${o('/hop?hop=1')} HTTP/1.1`,
        `Host: 127.0.0.1:${origin.port}`,
        'Connection: keep-alive, X-Custom-Hop',
        'X-Custom-Hop: secret',
        'Keep-Alive: timeout=9',
        'Proxy-Connection: keep-alive',
        'TE: trailers',
        'Trailer: X-Checksum',
        'Upgrade: websocket',
        `Proxy-Authorization: ${basic('someone:else')}`,
        'X-End-To-End: kept',
        '',
        '',
      ].join('\r\n'),
    );
    t.equal(r.status, 200, 'status');
    const seen = (JSON.parse(r.body) as EchoBody).headers;
    for (const h of ['x-custom-hop', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authorization']) {
      t.notOk(h in seen, `origin did not see ${h}`);
    }
    t.not(seen['keep-alive'], 'timeout=9', "client's Keep-Alive not forwarded");
    t.notMatch(String(seen.connection ?? ''), /x-custom-hop/i, "client's Connection tokens not forwarded");
    t.equal(seen['x-end-to-end'], 'kept', 'end-to-end header forwarded');
    t.notOk('x-origin-hop' in r.headers, "origin's Connection-named header removed from the response");
    t.equal(r.headers['x-origin-e2e'], 'reaches-client', "origin's end-to-end header kept");
    t.notMatch(String(r.headers['keep-alive'] ?? ''), /max=99/, "origin's Keep-Alive not relayed");
  });

  await test('via', 'Via is appended on the request and the response', async (t) => {
    const r = await viaProxy(main.port, 'GET', o('/via'), { headers: { via: '1.0 earlier-proxy' } });
    const seen = (JSON.parse(r.body.toString()) as EchoBody).headers;
    t.match(String(seen.via), /^1\.0 earlier-proxy, 1\.1 \S+$/, 'request Via lists the earlier hop, then this proxy');
    t.match(String(r.headers.via), /^1\.1 \S+$/, 'response carries Via');
  });

  await test('bad-input', 'bad requests get their status and are never forwarded', async (t) => {
    let r = await rawExchange(main.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    t.equal(r.status, 400, 'origin-form → 400');
    t.match(r.body, /forward proxy/i, 'with a body that says why');

    r = await rawExchange(main.port, 'THIS IS NOT HTTP\r\n\r\n');
    t.equal(r.status, 400, 'malformed request line → 400');

    r = await rawExchange(main.port, `GET ${o('/x')} HTTP/1.1\r\nHost: a\r\nBad Header Name: x\r\n\r\n`);
    t.equal(r.status, 400, 'malformed header → 400');

    r = await rawExchange(main.port, `GET ${o('/x')} HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(40 * 1024)}\r\n\r\n`);
    t.equal(r.status, 431, 'header block over the limit → 431');

    const before = origin.requests();
    r = await rawExchange(
      main.port,
      `POST ${o('/smuggle')} HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n`,
    );
    t.equal(r.status, 400, 'Content-Length with Transfer-Encoding → 400');
    t.equal(origin.requests(), before, 'never forwarded');

    r = await rawExchange(main.port, `GET ftp://127.0.0.1:${origin.port}/file HTTP/1.1\r\nHost: a\r\n\r\n`);
    t.ok(r.status === 501 || r.status === 400, `unsupported scheme → 501 or 400 (got ${r.status})`);

    r = await rawExchange(main.port, 'GET http://192.0.2.1/ HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n');
    t.equal(r.status, 403, 'non-loopback destination → 403');
    t.equal(origin.requests(), before, 'nothing reached the origin');
  });

  await test('origin-failures', 'origin refused or reset → 502; cut mid-body → client connection cut', async (t) => {
    let r = await rawExchange(main.port, `GET http://127.0.0.1:${deadPort}/ HTTP/1.1\r\nHost: a\r\n\r\n`);
    t.equal(r.status, 502, 'connection refused → 502');
    r = await rawExchange(main.port, `GET ${o('/r?reset=1')} HTTP/1.1\r\nHost: a\r\n\r\n`);
    t.equal(r.status, 502, 'reset before answering → 502');
    r = await rawExchange(main.port, `GET ${o('/r?resetMid=1')} HTTP/1.1\r\nHost: a\r\n\r\n`);
    t.equal(r.status, 200, 'head forwarded');
    t.ok(r.body.length < 100_000, `truncated body not passed off as complete (${r.body.length} of 100000 bytes, then EOF)`);
  });

  // A second proxy with tight limits for 504 / 413 / 431 / slow headers.
  const needLimits = ['limits', 'slow-client'].some((id) => !skip.has(id));
  const limited = needLimits
    ? await launch(['--upstream-timeout', '1s', '--max-body', '1000', '--headers-timeout', '1s', '--max-header-size', '2048'])
    : null;

  await test('limits', 'upstream timeout 504, body limit 413 (declared and chunked), header limit 431', async (t) => {
    const p = limited!.port;
    let r = await rawExchange(p, `GET ${o('/slow?delay=4000')} HTTP/1.1\r\nHost: a\r\n\r\n`);
    t.equal(r.status, 504, 'origin slower than --upstream-timeout → 504');
    const before = origin.requests();
    r = await rawExchange(p, `POST ${o('/big')} HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n${'z'.repeat(5000)}`);
    t.equal(r.status, 413, 'declared body over --max-body → 413');
    t.equal(origin.requests(), before, 'declared oversize body never forwarded');
    const chunk = 'z'.repeat(600);
    r = await rawExchange(
      p,
      `POST ${o('/big')} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`,
    );
    t.equal(r.status, 413, 'chunked body growing over --max-body → 413');
    // a client still uploading after the 413 (as one that does not read in between would): the proxy must drain
    // before it closes, or the kernel answers the unread bytes with RST and the client may lose the 413. The
    // upload is one write the kernel takes whole (loopback buffers hold MiBs), so its pace cannot depend on this
    // process being scheduled: a timer-paced pump stalled past the proxy's quiet window on a loaded CI machine.
    // Before the fix, fork lost every round to a RST, inline 9 in 10 and cluster 5 in 10 (the 413 with it).
    for (let round = 0; round < 5; round++) {
      const s = await connect(p);
      s.write(`POST ${o('/big')} HTTP/1.1\r\nHost: a\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`);
      s.write(Buffer.alloc(1024 * 1024, 'u'));
      t.equal(s.writableLength, 0, 'the kernel took the whole upload at once (else its pace would be this process)');
      let text = '';
      const events: string[] = [];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          events.push('still open after 5 s');
          resolve();
        }, 5_000);
        s.on('data', (d: Buffer) => (text += d.toString('latin1')));
        // then close our side, as a client that is not half-open would: a RST still on its way surfaces as an error
        s.once('end', () => {
          events.push('FIN');
          s.end();
        });
        s.once('error', (err: NodeJS.ErrnoException) => events.push(err.code ?? 'error'));
        s.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      s.destroy();
      t.match(text, /^HTTP\/1\.1 413 /, `refused upload, round ${round + 1}: the 413 arrived`);
      t.same(events, ['FIN'], `refused upload, round ${round + 1}: closed with FIN after draining, no RST`);
    }
    r = await rawExchange(p, `POST ${o('/ok')} HTTP/1.1\r\nHost: a\r\nContent-Length: 900\r\n\r\n${'z'.repeat(900)}`);
    t.equal(r.status, 200, 'body under the limit passes');
    r = await rawExchange(p, `GET ${o('/x')} HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(3000)}\r\n\r\n`);
    t.equal(r.status, 431, 'header block over --max-header-size → 431');
  });

  await test('slow-client', 'slowloris and silent clients are disconnected (headers timeout)', async (t) => {
    const p = limited!.port;
    const silent = await connect(p);
    const slow = await connect(p);
    const drip = setInterval(() => {
      if (!slow.destroyed && slow.writable) slow.write(`X-Drip-${Date.now()}: 1\r\n`);
    }, 200);
    try {
      slow.write(`GET ${o('/x')} HTTP/1.1\r\nHost: a\r\n`);
      const [silentMs, slowMs] = await Promise.all([waitForEnd(silent, 15_000), waitForEnd(slow, 15_000)]);
      t.pass(`silent client disconnected after ${silentMs} ms, header dripper after ${slowMs} ms`);
    } finally {
      clearInterval(drip);
      silent.destroy();
      slow.destroy();
    }
  });

  await test('auth', 'Basic proxy auth: 407 with Proxy-Authenticate when missing or wrong; consumed when right', async (t) => {
    const p = (await launch(connectPorts, { HANDOFF_PROXY_AUTH: 'user:s3cret' })).port;
    let r = await rawExchange(p, `GET ${o('/a')} HTTP/1.1\r\nHost: a\r\n\r\n`);
    t.equal(r.status, 407, 'missing → 407');
    t.match(r.headers['proxy-authenticate'], /^Basic realm=/, 'Proxy-Authenticate: Basic');
    r = await rawExchange(p, `GET ${o('/a')} HTTP/1.1\r\nHost: a\r\nProxy-Authorization: ${basic('user:wrong')}\r\n\r\n`);
    t.equal(r.status, 407, 'wrong password → 407');
    r = await rawExchange(p, `GET ${o('/a')} HTTP/1.1\r\nHost: a\r\nProxy-Authorization: ${basic('user:s3cret')}\r\n\r\n`);
    t.equal(r.status, 200, 'right credentials → 200');
    t.notOk('proxy-authorization' in (JSON.parse(r.body) as EchoBody).headers, 'credentials not forwarded to the origin');
    r = await rawExchange(p, `CONNECT 127.0.0.1:${tcp.echoPort} HTTP/1.1\r\nHost: a\r\n\r\n`);
    t.equal(r.status, 407, 'CONNECT without credentials → 407');
    const ok = await connectThrough(p, `127.0.0.1:${tcp.echoPort}`, `Proxy-Authorization: ${basic('user:s3cret')}\r\n`);
    ok.socket.destroy();
    t.equal(ok.status, 200, 'CONNECT with credentials → 200');
  });

  await test('still-serving', 'after all the bad input the proxy is alive and serving', async (t) => {
    t.ok(main.alive(), 'process alive');
    const r = await viaProxy(main.port, 'GET', o('/alive'));
    t.equal(r.status, 200, 'still answers');
  });

  await test('client-aborts', 'a client that vanishes takes its upstream request or tunnel with it', async (t) => {
    // waiting for a slow origin: the upstream request must be dropped long before the origin would answer
    const before = origin.abandoned();
    const waiting = await connect(main.port);
    const arrived = origin.nextRequest();
    waiting.write(`GET ${o('/abandon?delay=8000')} HTTP/1.1\r\nHost: a\r\n\r\n`);
    await arrived;
    waiting.destroy();
    t.ok(await pollUntil(() => origin.abandoned() > before, 5_000), 'origin saw its request dropped (before its 8 s delay)');

    // mid-download: same
    const downloading = await connect(main.port);
    downloading.write(`GET ${o(`/dl?size=${64 * 1024 * 1024}&chunked=1`)} HTTP/1.1\r\nHost: a\r\n\r\n`);
    await new Promise((r) => downloading.once('data', r));
    const midBefore = origin.abandoned();
    downloading.destroy();
    t.ok(await pollUntil(() => origin.abandoned() > midBefore, 5_000), 'download abandoned at the origin too');

    // tunnel: the destination connection closes
    const { socket, status } = await connectThrough(main.port, `127.0.0.1:${tcp.echoPort}`);
    t.equal(status, 200, 'tunnel up');
    t.ok(await pollUntil(() => tcp.openConnections() > 0, 5_000), 'destination connected');
    socket.destroy();
    t.ok(await pollUntil(() => tcp.openConnections() === 0, 5_000), 'destination connection closed with the client');
  });

  await test('fds-drained', "once clients are gone the proxy process's socket count returns to its start", async (t) => {
    t.ok(mainSocketBaseline > 0, `baseline: ${mainSocketBaseline} socket fds`);
    const back = await pollUntil(() => socketFds(main.pid) <= mainSocketBaseline, 15_000, 100);
    t.ok(back, `socket fds back to ${mainSocketBaseline} (now ${socketFds(main.pid)})`);
  });

  await test('shutdown-in-flight', 'SIGTERM: the in-flight response completes, idle clients see EOF, exit 0, nothing left', async (t) => {
    const p = await launch(['--shutdown-grace', '8s']);
    const idle = await connect(p.port);
    idle.write(`GET ${o('/idle')} HTTP/1.1\r\nHost: a\r\n\r\n`);
    t.equal((await readResponse(idle)).status, 200, 'idle keep-alive connection served once');
    const arrived = origin.nextRequest();
    const inFlight = viaProxy(p.port, 'GET', o('/slow?delay=1500'), { timeoutMs: 20_000 });
    await arrived;
    process.kill(p.pid, 'SIGTERM');
    const r = await inFlight;
    t.equal(r.status, 200, 'in-flight response completed after SIGTERM');
    t.equal((JSON.parse(r.body.toString()) as EchoBody).url, '/slow?delay=1500', 'with its own body');
    await waitForEnd(idle, 10_000).then(
      () => t.pass('idle client saw EOF'),
      (err: Error) => t.fail(err.message),
    );
    idle.destroy();
    const exit = await Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    t.same(exit, { code: 0, signal: null }, 'exited with code 0');
    t.ok(await pollUntil(() => !groupAlive(p.pid), 10_000), 'no process of its group is left');
  });

  await test('shutdown-at-once', 'SIGTERM the moment the listening line is out: exit 0, nothing left', async (t) => {
    const p = await launch([]);
    process.kill(p.pid, 'SIGTERM');
    const exit = await Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    t.same(exit, { code: 0, signal: null }, 'exited with code 0 (signal handlers were in place)');
    t.ok(await pollUntil(() => !groupAlive(p.pid), 10_000), 'no process of its group is left');
  });
}
