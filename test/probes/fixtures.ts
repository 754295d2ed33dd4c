// Fixture text captured from this machine (a node process with IPv4 and IPv6 listeners and one connection
// to each; see expected.json) plus hand-made edge cases.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'proc');

export const fixture = (name: string): string => readFileSync(join(dir, name), 'utf8');

export const captured = JSON.parse(fixture('expected.json')) as { pid: number; p4: number; p6: number; c4: number; c6: number };
