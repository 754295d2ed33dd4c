// `handoff build-native`: the addon's build on demand, for installs that refused install scripts. The same
// script npm runs on install, but a failed build is an exit code here (1), not a note for later.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export function buildNative(): number {
  const script = join(packageRoot, 'scripts', 'build-native.mjs');
  const r = spawnSync(process.execPath, [script], {
    stdio: 'inherit',
    env: { ...process.env, HANDOFF_REQUIRE_NATIVE: '1', HANDOFF_SKIP_NATIVE: '' },
  });
  return r.status ?? 1;
}
