// RLIMIT_NOFILE of a process, from the text of /proc/<pid>/limits. Pure parser, and a reader for this process.
import { readFileSync } from 'node:fs';

export interface NofileLimits {
  /** null: "unlimited" or not found */
  soft: number | null;
  hard: number | null;
}

export function parseNofileLimits(limitsText: string): NofileLimits {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  const num = (v: string | undefined): number | null => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

/** This process's limits; both null when /proc cannot be read. */
export function ownNofileLimits(): NofileLimits {
  try {
    return parseNofileLimits(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return { soft: null, hard: null };
  }
}
