/** Bytes counted as they reach the disk, and a speed over the last few seconds (for progress, ETA). */
export class SpeedMeter {
  total = 0;
  #samples: Array<{ at: number; total: number }> = [];

  add(bytes: number): void {
    this.total += bytes;
  }

  /** Record a sample (called by the progress ticker, a few times a second) and return bytes per second. */
  sample(now: number, windowMs = 3000): number {
    const samples = this.#samples;
    samples.push({ at: now, total: this.total });
    while (samples.length > 2 && now - samples[0]!.at > windowMs) samples.shift();
    const first = samples[0]!;
    const span = now - first.at;
    return span > 0 ? ((this.total - first.total) * 1000) / span : 0;
  }
}
