// Raw-socket HTTP for tests that need bytes the node:http client refuses to send (bad request lines,
// CL+TE, slow headers) or that must watch the connection itself (EOF, half-close, tunnels).
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** header names exactly as received (lower case), repeated ones included */
  headerNames: string[];
  body: string;
}

/** Open a connection to 127.0.0.1:port; rejects after timeoutMs. */
export function connect(port: number, timeoutMs = 10_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Read one HTTP response from a socket: the head, then a Content-Length body (or, without one, what arrives
 * until EOF). `noBody`: the head is all there is (a CONNECT answer). Resolves with what it got; rejects after
 * timeoutMs. Bytes after the response are pushed back onto the socket, which is left paused.
 */
export function readResponse(socket: net.Socket, timeoutMs = 10_000, opts: { noBody?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const isBodyless = (status: number): boolean =>
      (opts.noBody === true && status >= 200 && status < 300) || status === 304 || status === 204 || (status >= 100 && status < 200);
    let buf = Buffer.alloc(0);
    let head: { status: number; headers: Record<string, string>; names: string[]; bodyStart: number } | null = null;
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      if (err) reject(err);
      else if (!head)
        reject(new Error(`connection ended before a response head (${JSON.stringify(buf.toString('latin1').slice(0, 200))})`));
      else {
        const cl = head.headers['content-length'];
        const end = isBodyless(head.status)
          ? head.bodyStart
          : cl !== undefined
            ? Math.min(buf.length, head.bodyStart + Number(cl))
            : buf.length;
        const rest = buf.subarray(end);
        // paused, so neither these bytes nor an EOF right behind them slip past before the next reader
        socket.pause();
        if (rest.length > 0) socket.unshift(rest);
        resolve({
          status: head.status,
          headers: head.headers,
          headerNames: head.names,
          body: buf.subarray(head.bodyStart, end).toString(),
        });
      }
    };
    const tryParse = (): void => {
      if (!head) {
        const idx = buf.indexOf('\r\n\r\n');
        if (idx < 0) return;
        const lines = buf.subarray(0, idx).toString('latin1').split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
        if (!m) {
          finish(new Error(`bad status line ${JSON.stringify(lines[0])}`));
          return;
        }
        const headers: Record<string, string> = {};
        const names: string[] = [];
        for (const line of lines.slice(1)) {
          const c = line.indexOf(':');
          const name = line.slice(0, c).trim().toLowerCase();
          names.push(name);
          headers[name] = headers[name] !== undefined ? `${headers[name]}, ${line.slice(c + 1).trim()}` : line.slice(c + 1).trim();
        }
        head = { status: Number(m[1]), headers, names, bodyStart: idx + 4 };
      }
      const cl = head.headers['content-length'];
      const bodyless = isBodyless(head.status) || head.status === 204 || (head.status >= 100 && head.status < 200);
      if (bodyless || (cl !== undefined && buf.length >= head.bodyStart + Number(cl))) finish();
    };
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      tryParse();
    };
    const onEnd = (): void => finish();
    const onError = (err: Error): void => (head ? finish() : finish(err));
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

/** Send raw bytes on a fresh connection and read one response; the socket is destroyed afterwards. */
export async function rawExchange(port: number, data: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  const socket = await connect(port, timeoutMs);
  try {
    socket.write(data);
    return await readResponse(socket, timeoutMs);
  } finally {
    socket.destroy();
  }
}

/** Resolves with how long until the peer ended or closed the connection; rejects after timeoutMs. */
export function waitForEnd(socket: net.Socket, timeoutMs: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    if (socket.readableEnded || socket.destroyed) return resolve(0);
    const done = (): void => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    };
    const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    socket.resume();
    socket.once('end', done);
    socket.once('close', done);
    socket.once('error', done);
  });
}

/** Collect everything a socket delivers until EOF; rejects after timeoutMs. */
export function readAll(socket: net.Socket, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`no EOF within ${timeoutMs} ms (got ${JSON.stringify(text.slice(0, 200))})`)),
      timeoutMs,
    );
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.resume();
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
