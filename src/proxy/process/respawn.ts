// Replacing workers that died (prefork, cluster): one respawn pending at a time, after a delay that backs off
// exponentially while they keep dying young (a crash loop) and is 0 otherwise, so a worker killed from outside
// (OOM killer, chaos) is replaced at once.
/** Workers that die younger than this count toward a crash loop. */
export const YOUNG_DEATH_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;

export class Respawner {
  private timer: NodeJS.Timeout | null = null;
  /** young deaths (and failed respawns) in a row */
  private streak = 0;

  /** @param crashLoop young deaths in a row before the delay starts backing off (from 100 ms, doubling, to 5 s) */
  constructor(private readonly crashLoop: number) {}

  /** A worker started at `startedAt` died: young, it extends the streak; otherwise the streak is over. */
  died(startedAt: number): void {
    this.streak = Date.now() - startedAt < YOUNG_DEATH_MS ? this.streak + 1 : 0;
  }

  /** A respawn failed (EMFILE, EAGAIN): it counts as one more young death. */
  failed(): void {
    this.streak++;
  }

  /** Runs `respawn` once the backoff's delay has passed; nothing when one is pending already. */
  schedule(respawn: () => void): void {
    if (this.timer) return;
    const delay = this.streak < this.crashLoop ? 0 : Math.min(MAX_BACKOFF_MS, 100 * 2 ** (this.streak - this.crashLoop));
    this.timer = setTimeout(() => {
      this.timer = null;
      respawn();
    }, delay);
  }

  /** Shutdown or a failed start: the pending respawn, if any, never runs. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
