// A tiny origin for proxy tests, driven by the query string of each request:
//   /anything          → 200 JSON { method, url, headers, rawHeaders, bodyBytes, bodySha256 }
//   ?size=N            → N bytes of body instead of JSON ('x' repeated), with Content-Length
//   ?chunked=1         → same, but chunked (no Content-Length), written in 64 KiB pieces
//   ?delay=MS          → wait MS before the response headers
//   ?reset=1           → destroy the connection instead of answering (after reading the request)
//   ?resetMid=1        → send headers and part of a declared body, then destroy
//   ?early=1           → answer "early" at once without reading the request body
//   ?stream=1          → echo the request body back as it arrives (chunked), headers sent at once
//   ?hop=1             → response carries hop-by-hop headers (Connection token, Keep-Alive, Upgrade)
// It also counts requests and TCP connections so tests can see keep-alive and "never forwarded".
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';

export interface EchoBody {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  bodyBytes: number;
  bodySha256: string;
}

export interface TestOrigin {
  port: number;
  /** requests whose headers reached the origin */
  requests(): number;
  /** TCP connections accepted so far */
  connectionsAccepted(): number;
  /** connections open right now */
  openConnections(): number;
  /** responses whose connection closed before they were finished (the proxy gave up on them) */
  abandoned(): number;
  /** resolves with the url of a coming request (one waiter per request, in order) */
  nextRequest(): Promise<string>;
  close(): Promise<void>;
}

export async function startOrigin(): Promise<TestOrigin> {
  let requests = 0;
  let accepted = 0;
  let abandoned = 0;
  const sockets = new Set<net.Socket>();
  const waiters: Array<(url: string) => void> = [];
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = http.createServer({ keepAliveTimeout: 2_000 }, (req, res) => {
    requests++;
    res.once('close', () => {
      if (!res.writableFinished) abandoned++;
    });
    waiters.shift()?.(req.url ?? '');
    const q = new URL(req.url ?? '/', 'http://origin.invalid').searchParams;
    const delay = Number(q.get('delay') ?? 0);

    if (q.get('early') === '1') {
      // answers at once, without reading the request body (node discards it afterwards)
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 });
      res.end('early');
      return;
    }
    if (q.get('stream') === '1') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.flushHeaders();
      req.pipe(res);
      return;
    }

    const hash = createHash('sha256');
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => {
      bodyBytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      if (q.get('reset') === '1') {
        req.socket.destroy();
        return;
      }
      later(delay, () => {
        if (res.destroyed) return;
        if (q.get('resetMid') === '1') {
          res.writeHead(200, { 'content-length': '100000' });
          res.write(Buffer.alloc(1000, 'y'));
          later(50, () => req.socket.destroy());
          return;
        }
        const size = q.get('size');
        if (size !== null) {
          const n = Number(size);
          if (q.get('chunked') === '1') {
            res.writeHead(200, { 'content-type': 'application/octet-stream' });
            const piece = Buffer.alloc(64 * 1024, 'x');
            let left = n;
            const pump = (): void => {
              while (left > 0) {
                const part = left >= piece.length ? piece : piece.subarray(0, left);
                left -= part.length;
                if (!res.write(part)) {
                  res.once('drain', pump);
                  return;
                }
              }
              res.end();
            };
            pump();
          } else {
            res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
            res.end(Buffer.alloc(n, 'x'));
          }
          return;
        }
        const body: EchoBody = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          bodyBytes,
          bodySha256: hash.digest('hex'),
        };
        const json = JSON.stringify(body);
        const headers: http.OutgoingHttpHeaders = {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(json),
        };
        if (q.get('hop') === '1') {
          headers.connection = 'keep-alive, X-Origin-Hop';
          headers['x-origin-hop'] = 'must-not-reach-client';
          headers['keep-alive'] = 'timeout=7, max=99';
          headers['x-origin-e2e'] = 'reaches-client';
        }
        res.writeHead(200, headers);
        res.end(json);
      });
    });
  });
  server.on('connection', (s: net.Socket) => {
    accepted++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests: () => requests,
    abandoned: () => abandoned,
    connectionsAccepted: () => accepted,
    openConnections: () => sockets.size,
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Plain TCP servers for CONNECT tests (half-open allowed on every socket):
 * - echo: sends back what it reads; when the client half-closes it writes "[eof]" and ends.
 * - speakFirst: writes "hello" and half-closes at once, then records everything the client still sends.
 */
export interface TcpOrigins {
  echoPort: number;
  speakFirstPort: number;
  /** connections open right now, both servers */
  openConnections(): number;
  /** resolves with what a speakFirst connection received once the client ended it */
  nextSpeakFirstReceived(): Promise<string>;
  close(): Promise<void>;
}

export async function startTcpOrigins(): Promise<TcpOrigins> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const echo = net.createServer({ allowHalfOpen: true }, (s) => {
    track(s);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end('[eof]'));
  });
  const received: Array<(text: string) => void> = [];
  const speakFirst = net.createServer({ allowHalfOpen: true }, (s) => {
    track(s);
    let got = '';
    s.end('hello');
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => {
      for (const r of received.splice(0)) r(got);
      s.destroy();
    });
  });
  const listen = (srv: net.Server): Promise<number> =>
    new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)));
  const [echoPort, speakFirstPort] = [await listen(echo), await listen(speakFirst)];
  return {
    echoPort,
    speakFirstPort,
    openConnections: () => sockets.size,
    nextSpeakFirstReceived: () => new Promise((resolve) => received.push(resolve)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([echo, speakFirst].map((srv) => new Promise((r) => srv.close(r))));
    },
  };
}

/**
 * A loopback port with nothing listening on it. Port 1 (tcpmux, never served here) when a connection to it is
 * refused: a port bound and released at random could be handed to another test file's listener running in
 * parallel, which would then answer for the "dead" port. Otherwise a port bound, then released.
 */
export async function closedPort(): Promise<number> {
  const refused = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ host: '127.0.0.1', port: 1 });
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
  if (refused) return 1;
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}
