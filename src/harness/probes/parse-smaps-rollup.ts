// /proc/PID/smaps_rollup: the process's memory summed over its mappings. Pss (proportional set size) charges
// each resident page to the processes mapping it in equal shares, so summing it over a process tree counts a
// page shared by a forking server and its 64 children once, where summing Rss counts it 65 times.
//
//   55d4c1a3e000-7ffd8b5f7000 ---p 00000000 00:00 0    [rollup]
//   Rss:               45120 kB
//   Pss:                9876 kB
//   ...

/** Pss in bytes, or null when the text has no Pss line (not a smaps_rollup, or an empty read). */
export function parsePssBytes(text: string): number | null {
  const m = /^Pss:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}
