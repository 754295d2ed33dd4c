// /proc/PID/cmdline: argv as NUL-terminated strings. Empty for kernel threads and zombies. Programs that
// rewrite their title (setproctitle) may leave one space-separated string padded with NULs.

export function parseCmdline(text: string): string[] {
  const args = text.split('\0');
  while (args.length > 0 && args[args.length - 1] === '') args.pop();
  return args;
}

const needsQuoting = /[\s"'\\$`]|^$/;

/** argv → one readable, shell-like line; arguments with spaces or quotes are single-quoted. */
export function formatCmdline(args: readonly string[]): string {
  return args.map((arg) => (needsQuoting.test(arg) ? `'${arg.replaceAll("'", `'\\''`)}'` : arg)).join(' ');
}

/** The readable command line, or `[comm]` (ps style) when argv is empty. */
export function cmdlineText(text: string, comm: string): string {
  const args = parseCmdline(text);
  return args.length > 0 ? formatCmdline(args) : `[${comm}]`;
}
