// Where the package lives, so code run from TypeScript sources (tests under tsx) and from dist/ alike
// can start child processes from compiled JavaScript: a new process must never pay a transpile.
// The root is the nearest package.json named handoff: an installed package ships no tsconfig or sources.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function isOurs(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'handoff';
  } catch {
    return false;
  }
}

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && isOurs(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`handoff: package root not found above ${start}`);
    dir = up;
  }
}

export const packageRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

/** Absolute path of a compiled module, e.g. compiled('src/proxy/child.js'). */
export function compiled(relativeJs: string): string {
  const file = join(packageRoot, 'dist', relativeJs);
  if (!existsSync(file)) throw new Error(`handoff: ${file} is missing; run \`npm run build\` first`);
  return file;
}

export const cliPath = (): string => compiled('src/cli/main.js');
