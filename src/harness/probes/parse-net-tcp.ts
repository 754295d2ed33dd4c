// /proc/net/tcp and /proc/net/tcp6 → TcpRow[]. Addresses are hex of the kernel's in-memory (network order)
// bytes printed as host-order 32-bit words: on little-endian machines each 32-bit word reads byte-reversed.
// IPv4 is one word ("0100007F" = 127.0.0.1), IPv6 four words. Ports are plain hex. TIME_WAIT rows carry inode 0.
import type { TcpRow, TcpState } from './types.js';

const STATES: Record<string, TcpState> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
};

export function tcpStateName(hex: string): TcpState {
  return STATES[hex.toUpperCase()] ?? 'UNKNOWN';
}

/** Four bytes of one little-endian-printed 32-bit word, in network order. */
function wordBytes(hex8: string): number[] {
  const word = Number.parseInt(hex8, 16);
  return [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff];
}

export function decodeIpv4(hex8: string): string {
  return wordBytes(hex8).join('.');
}

export function decodeIpv6(hex32: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex32.slice(i, i + 8)));
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // IPv4-mapped (::ffff:a.b.c.d): how dual-stack sockets show IPv4 peers
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  return compressIpv6(groups);
}

/** RFC 5952: lower-case hex, the longest run (≥ 2) of zero groups becomes "::". */
function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function decodeEndpoint(field: string): { address: string; port: number } | null {
  const colon = field.indexOf(':');
  if (colon === -1) return null;
  const addr = field.slice(0, colon);
  const port = Number.parseInt(field.slice(colon + 1), 16);
  if (addr.length === 8) return { address: decodeIpv4(addr), port };
  if (addr.length === 32) return { address: decodeIpv6(addr), port };
  return null;
}

/** The first `count` space-separated columns of a line, without a regex (tables can have thousands of rows). */
function splitColumns(line: string, count: number): string[] {
  const cols: string[] = [];
  let i = 0;
  while (cols.length < count) {
    while (i < line.length && line.charCodeAt(i) === 32) i++;
    if (i >= line.length) break;
    let end = line.indexOf(' ', i);
    if (end === -1) end = line.length;
    cols.push(line.slice(i, end));
    i = end;
  }
  return cols;
}

/** The 10th space-separated column (inode) of text[start, end) as a number, or -1; allocates nothing. */
function inodeColumn(text: string, start: number, end: number): number {
  let i = start;
  for (let column = 0; column < 9; column++) {
    while (i < end && text.charCodeAt(i) === 32) i++;
    while (i < end && text.charCodeAt(i) !== 32) i++;
  }
  while (i < end && text.charCodeAt(i) === 32) i++;
  let inode = 0;
  let digits = 0;
  for (; i < end; i++, digits++) {
    const c = text.charCodeAt(i);
    if (c === 32) break;
    if (c < 48 || c > 57) return -1;
    inode = inode * 10 + (c - 48);
  }
  return digits > 0 ? inode : -1;
}

/**
 * Parses every row (header skipped, malformed rows ignored). With `onlyInodes`, rows whose inode is not in
 * the set are skipped before any address is decoded: the sampler only cares about sockets its tree owns,
 * and a loaded machine can list thousands of rows.
 */
export function parseNetTcp(text: string, onlyInodes?: ReadonlySet<number>): TcpRow[] {
  const rows: TcpRow[] = [];
  let lineStart = text.indexOf('\n') + 1; // skip the header
  if (lineStart === 0) return rows;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    // filter on the inode column before cutting the line into strings (most rows are not ours)
    if (onlyInodes && !onlyInodes.has(inodeColumn(text, lineStart, lineEnd))) {
      lineStart = lineEnd + 1;
      continue;
    }
    const line = text.slice(lineStart, lineEnd);
    lineStart = lineEnd + 1;
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
    const cols = splitColumns(line, 10);
    if (cols.length < 10) continue;
    const inode = Number(cols[9]);
    if (!Number.isInteger(inode)) continue;
    const local = decodeEndpoint(cols[1]!);
    const remote = decodeEndpoint(cols[2]!);
    if (!local || !remote) continue;
    rows.push({
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: tcpStateName(cols[3]!),
      inode,
    });
  }
  return rows;
}

/** "127.0.0.1:8080" / "[::1]:8080", for evidence lines. */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
