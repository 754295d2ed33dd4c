// /proc/loadavg: "0.52 0.58 0.59 2/345 12345" — the last field is the pid most recently allocated in the
// reader's pid namespace, which tells the sampler whether any process was created since its last look.

/** The last allocated pid, or null when the text is not a loadavg line. */
export function parseLastPid(text: string): number | null {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 5 || !/^\d+\/\d+$/.test(fields[3]!)) return null;
  const pid = Number(fields[4]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}
