// /proc/PID/environ: the environment the current program image started with, as NUL-terminated
// "NAME=value" entries. Later setenv() calls do not show; that is what makes a launch-time marker reliable.

export function parseEnviron(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of text.split('\0')) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    // an entry without '=' is legal for execve; keep it with an empty value
    if (eq === -1) env.set(entry, '');
    else if (!env.has(entry.slice(0, eq))) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** Exact NAME=value test without building a map (the sampler runs it on every new process). */
export function environHas(text: string, name: string, value: string): boolean {
  const entry = `${name}=${value}`;
  if (text.startsWith(entry) && (text.length === entry.length || text[entry.length] === '\0')) return true;
  const at = text.indexOf(`\0${entry}`);
  if (at === -1) return false;
  const end = at + 1 + entry.length;
  if (end === text.length || text[end] === '\0') return true;
  // "\0NAME=value…" was a prefix of a longer value; look further
  return environHas(text.slice(end), name, value);
}
