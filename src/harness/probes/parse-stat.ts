// /proc/PID/stat → ProcStat. The comm field (2) is wrapped in parentheses and may itself contain ')', spaces
// or ') (' — so the numeric fields are read after the LAST ')' (see proc(5)).
import type { ProcStat } from './types.js';

/** PF_FORKNOEXEC in the flags field: the process forked and has not called exec (yet). */
export const PF_FORKNOEXEC = 0x40;

export const forkedWithoutExec = (stat: ProcStat): boolean => ((stat.flags ?? 0) & PF_FORKNOEXEC) !== 0;

/** Returns null when the text is not a complete stat line (e.g. a read cut short by the process exiting). */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // fields[0] is field 3 (state) of proc(5); field N of proc(5) is fields[N - 3]
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  if (fields.length < 22 || !Number.isInteger(pid)) return null;
  const num = (field: number): number => Number(fields[field - 3]);
  const stat: ProcStat = {
    pid,
    comm,
    state: fields[0]!,
    ppid: num(4),
    pgrp: num(5),
    session: num(6),
    starttime: num(22),
    utimeTicks: num(14),
    stimeTicks: num(15),
    numThreads: num(20),
    rssPages: num(24),
    flags: num(9),
  };
  if (!Number.isFinite(stat.ppid) || !Number.isFinite(stat.starttime) || !Number.isFinite(stat.utimeTicks)) return null;
  return stat;
}
