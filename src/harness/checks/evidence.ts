// Turning probe snapshots into report evidence, shared by the checks.
import type { Evidence } from '../../model/report.js';
import { processKey, type FdEntry, type OwnedSocket, type ProcessSnapshot } from '../probes/types.js';
import type { Incident } from '../load/generator.js';

/** At most this many evidence rows per check (the summary gives the full count). */
export const EVIDENCE_CAP = 20;

export function processEvidence(p: ProcessSnapshot, firstSeen: (key: string) => number | null, note?: string): Evidence {
  return {
    kind: 'process',
    pid: p.pid,
    starttime: p.starttime,
    ppid: p.ppid,
    state: p.state,
    cmdline: p.cmdline,
    firstSeenMs: round(firstSeen(processKey(p))),
    ...(note ? { note } : {}),
  };
}

export function fdEvidence(p: ProcessSnapshot, fd: FdEntry, firstSeen: (key: string) => number | null, note?: string): Evidence {
  return {
    kind: 'fd',
    pid: p.pid,
    cmdline: p.cmdline,
    fd: fd.fd,
    target: fd.target,
    firstSeenMs: round(firstSeen(`${processKey(p)}#fd${fd.fd}=${fd.target}`)),
    ...(note ? { note } : {}),
  };
}

export function socketEvidence(s: OwnedSocket, firstSeen: (key: string) => number | null, note?: string): Evidence {
  return {
    kind: 'socket',
    pid: s.pid,
    fd: s.fd,
    local: endpoint(s.localAddress, s.localPort),
    remote: endpoint(s.remoteAddress, s.remotePort),
    state: s.state,
    inode: s.inode,
    firstSeenMs: round(firstSeen(`sock:${s.inode}`)),
    ...(note ? { note } : {}),
  };
}

export function incidentEvidence(i: Incident): Evidence {
  return { kind: 'connection', generator: i.generator, id: i.id, detail: `${i.kind}: ${i.detail}`, atMs: i.atMs };
}

export function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function capped<T>(rows: T[], cap = EVIDENCE_CAP): { rows: T[]; more: number } {
  return { rows: rows.slice(0, cap), more: Math.max(0, rows.length - cap) };
}

export function withMore(evidence: Evidence[], more: number, what: string): Evidence[] {
  return more > 0 ? [...evidence, { kind: 'note', text: `… and ${more} more ${what}` }] : evidence;
}

function round(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms);
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
