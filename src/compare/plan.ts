// What a comparison runs and in which order (pure): the targets from --strategy / --cmd, and the
// interleaved schedule A B C A B C … so slow drift of a noisy machine spreads over every target alike.
import { STRATEGIES } from '../proxy/options.js';
import { UsageError } from '../util/errors.js';
import { parseCount } from '../util/duration.js';
import type { TargetSpecSummary } from './types.js';

export const MAX_REPEAT = 50;

/**
 * Splits one command string into argv like a POSIX shell would split words: blanks separate, '…' is
 * literal, "…" allows \" \\ \$ \`, a backslash outside quotes escapes the next character. No expansion,
 * no operators: a command that needs a shell should say `sh -c '…'` itself.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new UsageError(`--cmd ${JSON.stringify(text)}: ends with a lone backslash`);
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`--cmd ${JSON.stringify(text)}: unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** "inline, per-connection" → ['inline', 'per-connection']; unknown names are a usage error. */
export function parseStrategyList(text: string | undefined): string[] {
  if (text === undefined) return [];
  const names = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!names.length) throw new UsageError('--strategy needs at least one strategy name');
  for (const n of names) {
    if (!(STRATEGIES as readonly string[]).includes(n))
      throw new UsageError(`unknown strategy "${n}" (expected one of ${STRATEGIES.join(', ')})`);
  }
  return names;
}

export function parseRepeat(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = parseCount(String(text), '--repeat', 1);
  if (n > MAX_REPEAT) throw new UsageError(`--repeat must be at most ${MAX_REPEAT}`);
  return n;
}

/** A short label for a command target: its words with paths cut to their base names, {port} left out. */
export function commandLabel(argv: string[]): string {
  const base = (s: string): string => (s.includes('/') ? (s.split('/').filter(Boolean).pop() ?? s) : s);
  const label = argv
    .filter((w) => w !== '{port}')
    .map(base)
    .join(' ');
  return label.length > 40 ? `${label.slice(0, 39)}…` : label;
}

/** The targets, strategies first then commands, each with a unique label (a repeated name gets #2, #3 …). */
export function planTargets(strategies: string[], commands: string[]): TargetSpecSummary[] {
  const targets: TargetSpecSummary[] = [];
  const used = new Map<string, number>();
  const unique = (label: string): string => {
    const n = (used.get(label) ?? 0) + 1;
    used.set(label, n);
    return n === 1 ? label : `${label} #${n}`;
  };
  for (const s of strategies) targets.push({ label: unique(s), kind: 'reference-proxy', strategy: s, command: null });
  for (const text of commands) {
    const argv = splitCommand(text);
    if (!argv.length) throw new UsageError('--cmd needs a command (e.g. --cmd "python3 server.py {port}")');
    targets.push({ label: unique(commandLabel(argv) || 'command'), kind: 'command', strategy: null, command: argv });
  }
  if (!targets.length) throw new UsageError('nothing to compare: give --strategy a,b,… and/or --cmd "<command with {port}>"');
  return targets;
}

export interface ScheduledRun<T> {
  /** 1-based position in the order */
  order: number;
  /** 1-based repetition */
  rep: number;
  targetIndex: number;
  target: T;
}

/** Every target once per round, rounds one after the other: A B C A B C …, never A A B B. */
export function interleave<T>(targets: readonly T[], repeat: number): ScheduledRun<T>[] {
  const out: ScheduledRun<T>[] = [];
  for (let rep = 1; rep <= repeat; rep++) {
    for (const [targetIndex, target] of targets.entries()) out.push({ order: out.length + 1, rep, targetIndex, target });
  }
  return out;
}
