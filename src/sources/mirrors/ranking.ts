/**
 * The run's view of mirror hosts, shared by every file's MirrorSource: a host that failed for several files is
 * tried after the others for the rest of the run, so one dead mirror costs a run one failure per file at most a
 * couple of times, not once per file.
 */

/** Files a host may fail for before it is ranked after every host that did not. */
const DEMOTE_AFTER = 2;

export class MirrorRanking {
  readonly #failures = new Map<string, number>();

  /** A mirror on `host` was dropped for one file. */
  failed(host: string): void {
    this.#failures.set(host, (this.#failures.get(host) ?? 0) + 1);
  }

  /** 0 for a host in good standing; higher is tried later. */
  penalty(host: string): number {
    const failures = this.#failures.get(host) ?? 0;
    return failures >= DEMOTE_AFTER ? failures : 0;
  }

  /** Indexes of `hosts` (in preference order) by standing; the job's order among equals. */
  order(hosts: readonly string[]): number[] {
    return hosts.map((host, index) => ({ index, penalty: this.penalty(host) })).sort((a, b) => a.penalty - b.penalty || a.index - b.index).map((m) => m.index);
  }
}
