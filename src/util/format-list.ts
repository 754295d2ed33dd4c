// `--format a,b,c` for reports and comparisons: one parser for the comma lists, `all`, aliases and the usage error.
import { UsageError } from './errors.js';

export interface FormatListSpec<F extends string> {
  /** every format, in the order the result lists them */
  formats: readonly F[];
  /** always written, whatever was asked */
  always: F;
  aliases?: Readonly<Record<string, F>>;
  unknown: (item: string) => string;
}

export function parseFormatList<F extends string>(
  text: string | string[] | undefined,
  fallback: readonly F[],
  spec: FormatListSpec<F>,
): F[] {
  if (text === undefined) return [...fallback];
  const items = (Array.isArray(text) ? text : [text])
    .flatMap((t) => String(t).split(','))
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!items.length) throw new UsageError(`--format needs at least one of ${spec.formats.join(',')}`);
  const out = new Set<F>([spec.always]);
  for (const item of items) {
    if (item === 'all') for (const f of spec.formats) out.add(f);
    else if ((spec.formats as readonly string[]).includes(item)) out.add(item as F);
    else if (spec.aliases && Object.hasOwn(spec.aliases, item)) out.add(spec.aliases[item]!);
    else throw new UsageError(spec.unknown(item));
  }
  return spec.formats.filter((f) => out.has(f));
}
