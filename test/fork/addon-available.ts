// Tests of --strategy fork need the native addon; without it they skip and say why.
import t from 'tap';
import { loadForkAddon } from '../../src/native/addon.js';

export function forkUnavailableReason(): string | null {
  const load = loadForkAddon();
  return load.ok ? null : `--strategy fork unavailable here: ${load.reason}`;
}

/** Run a test file's body when the addon is there; otherwise plan nothing and say why. */
export async function whenForkAvailable(body: () => Promise<void>): Promise<void> {
  const unavailable = forkUnavailableReason();
  if (unavailable) t.plan(0, unavailable);
  else await body();
}
