// The churn client's connection, as lean as Node allows: libuv's TCP handle through Node's own tcp_wrap binding
// (what net.Socket wraps), without the stream machinery: no Duplex, no EventEmitter, no nextTick per event, no
// Buffer per read (reads land in one buffer the caller shares), the request written as one latin1 string. On this
// machine that is ~60-90 µs of user CPU a connection instead of ~300-400 through net.Socket (docs/load-engine.md).
// Where the binding cannot be had (a Node without process.binding, a host name to resolve) the same interface
// runs over net.Socket. Every event is delivered at most once, and none after destroy().
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { Endpoint } from './generator.js';

/** What a lean socket reports: connected, then reads, then at most one of eof or failed. */
export interface LeanEvents {
  /** connected: the request may be written */
  connected(): void;
  /** `n` bytes read into the shared read buffer, from its start (valid only during the call) */
  data(n: number): void;
  /** the peer's FIN */
  eof(): void;
  /** the connect failed, the connection was reset or a write failed: the code (ECONNREFUSED, ECONNRESET, …) */
  failed(code: string): void;
}

export interface LeanSocket {
  /** writes the text as latin1 (a request head is ASCII) */
  write(text: string): void;
  /** closes it now (idempotent): no event after this */
  destroy(): void;
  /** the local port (a getsockname() call), while it is open */
  localPort(): number | undefined;
}

/** Node's internal handle classes this module uses (lib/net.js uses the same). */
interface Binding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  WriteWrap: new () => WriteReq;
  SOCKET: number;
  state: Int32Array;
  kReadBytesOrError: number;
}
interface TcpHandle {
  connect(req: ConnectReq, host: string, port: number): number;
  connect6(req: ConnectReq, host: string, port: number): number;
  readStart(): number;
  useUserBuffer(buf: Uint8Array): void;
  writeLatin1String(req: WriteReq, text: string): number;
  getsockname(out: { port?: number }): number;
  close(): void;
  onread: (this: TcpHandle) => void;
  owner?: RawSocket;
}
interface ConnectReq {
  oncomplete: (status: number, handle: TcpHandle) => void;
  address: string;
  port: number;
}
interface WriteReq {
  handle: TcpHandle;
  oncomplete: (status: number, handle: TcpHandle) => void;
  async: boolean;
}

/** libuv's end of file (the same on every platform) */
const UV_EOF = -4095;

function loadBinding(): Binding | null {
  try {
    const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding;
    if (typeof binding !== 'function') return null;
    const tcp = binding('tcp_wrap') as { TCP: Binding['TCP']; TCPConnectWrap: Binding['TCPConnectWrap']; constants: { SOCKET: number } };
    const stream = binding('stream_wrap') as { WriteWrap: Binding['WriteWrap']; streamBaseState: Int32Array; kReadBytesOrError: number };
    if (typeof tcp.TCP !== 'function' || typeof stream.WriteWrap !== 'function' || !(stream.streamBaseState instanceof Int32Array))
      return null;
    return {
      TCP: tcp.TCP,
      TCPConnectWrap: tcp.TCPConnectWrap,
      WriteWrap: stream.WriteWrap,
      SOCKET: tcp.constants.SOCKET,
      state: stream.streamBaseState,
      kReadBytesOrError: stream.kReadBytesOrError,
    };
  } catch {
    return null;
  }
}

const binding = loadBinding();

const errorName = (status: number): string => {
  try {
    return getSystemErrorName(status);
  } catch {
    return `error ${status}`;
  }
};

// shared callbacks (no closure per connection): the handle names its socket
function afterConnect(status: number, handle: TcpHandle): void {
  const s = handle.owner;
  if (!s || s.closed) return;
  if (status < 0) {
    s.fail(errorName(status));
    return;
  }
  handle.onread = onRead;
  handle.useUserBuffer(s.readBuffer);
  const err = handle.readStart();
  if (err < 0) s.fail(errorName(err));
  else s.events.connected();
}

function onRead(this: TcpHandle): void {
  const s = this.owner;
  if (!s || s.closed) return;
  const n = (binding as Binding).state[(binding as Binding).kReadBytesOrError] ?? 0;
  if (n > 0) s.events.data(n);
  else if (n === UV_EOF) s.events.eof();
  else if (n < 0) s.fail(errorName(n));
}

function ignoreRead(): void {}

function afterWrite(status: number, handle: TcpHandle): void {
  if (status < 0) handle.owner?.fail(errorName(status));
}

class RawSocket implements LeanSocket {
  closed = false;
  private readonly handle: TcpHandle;

  constructor(
    b: Binding,
    target: Endpoint,
    v6: boolean,
    readonly readBuffer: Buffer,
    readonly events: LeanEvents,
  ) {
    this.handle = new b.TCP(b.SOCKET);
    this.handle.owner = this;
    const req = new b.TCPConnectWrap();
    req.oncomplete = afterConnect;
    req.address = target.host;
    req.port = target.port;
    const err = v6 ? this.handle.connect6(req, target.host, target.port) : this.handle.connect(req, target.host, target.port);
    // reported later, as net.Socket does: the caller has its socket in hand first
    if (err < 0) queueMicrotask(() => this.fail(errorName(err)));
  }

  write(text: string): void {
    const b = binding as Binding;
    const req = new b.WriteWrap();
    req.handle = this.handle;
    req.oncomplete = afterWrite;
    req.async = false;
    const err = this.handle.writeLatin1String(req, text);
    if (err < 0) queueMicrotask(() => this.fail(errorName(err)));
  }

  fail(code: string): void {
    if (this.closed) return;
    this.events.failed(code);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    // the binding takes only a function here
    this.handle.onread = ignoreRead;
    // a connect still pending is cancelled: its completion finds the socket closed
    this.handle.close();
  }

  localPort(): number | undefined {
    if (this.closed) return undefined;
    const out: { port?: number } = {};
    return this.handle.getsockname(out) === 0 ? out.port : undefined;
  }
}

/** The same over net.Socket (reads still into the shared buffer), where the handle cannot be had. */
class NetSocket implements LeanSocket {
  private closed = false;
  private readonly socket: net.Socket;

  constructor(target: Endpoint, readBuffer: Buffer, events: LeanEvents) {
    this.socket = net.connect({
      host: target.host,
      port: target.port,
      onread: {
        buffer: readBuffer,
        callback: (n: number): boolean => {
          if (!this.closed) events.data(n);
          return true;
        },
      },
    });
    this.socket.on('connect', () => this.closed || events.connected());
    this.socket.on('end', () => this.closed || events.eof());
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.closed || events.failed(err.code ?? err.message));
  }

  write(text: string): void {
    this.socket.write(text, 'latin1');
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  localPort(): number | undefined {
    return this.closed ? undefined : this.socket.localPort;
  }
}

/** Whether connections go through the bare handle (false: through net.Socket). */
export const leanHandles = binding !== null;

/**
 * What opens connections to `target`, decided once (the bare handle or net.Socket, IPv4 or IPv6): reads land in
 * `readBuffer`, one its sockets share.
 */
export function leanConnector(target: Endpoint, readBuffer: Buffer, useHandle = leanHandles): (events: LeanEvents) => LeanSocket {
  const family = net.isIP(target.host);
  const b = useHandle && family !== 0 ? binding : null;
  const v6 = family === 6;
  return b ? (events) => new RawSocket(b, target, v6, readBuffer, events) : (events) => new NetSocket(target, readBuffer, events);
}
