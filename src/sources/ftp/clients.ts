/**
 * The run's FTP control connections: logged-in connections kept idle between ranges of the same server and user
 * (a login costs several round trips, and splitting a file starts many short ranges), and every open one closed
 * when the run ends, whatever an interrupted range left open.
 */
import type { Client } from 'basic-ftp';

const MAX_IDLE_PER_TARGET = 16;

export class FtpClients {
  readonly #open = new Set<Client>();
  readonly #idle = new Map<string, Client[]>();
  /** Connections whose range ended and whose transfer the server is still settling, per target. */
  readonly #settling = new Map<string, number>();
  readonly #waiters = new Map<string, Array<(client: Client | undefined) => void>>();
  #closed = false;
  /** Logins so far (tests check that ranges really used several connections, or reused them). */
  opened = 0;

  /**
   * An idle logged-in connection for `key`, if one is open or about to be: the next range usually starts the moment
   * the previous one ended, while the server's reply to the cut transfer is a round trip away and a login several.
   */
  async take(key: string): Promise<Client | undefined> {
    const idle = this.#idle.get(key) ?? [];
    for (let client = idle.pop(); client !== undefined; client = idle.pop()) {
      if (!client.closed) return client;
      this.#open.delete(client);
    }
    const waiters = this.#waiters.get(key) ?? [];
    if ((this.#settling.get(key) ?? 0) <= waiters.length || this.#closed) return undefined;
    this.#waiters.set(key, waiters);
    // Bounded: every settling connection is released (or forgotten) within the source's timeout.
    return new Promise((resolve) => waiters.push(resolve));
  }

  /** A range ended and its connection comes back through `release(…, expected = true)` once settled. */
  expect(key: string): void {
    this.#settling.set(key, (this.#settling.get(key) ?? 0) + 1);
  }

  track(client: Client): void {
    this.opened++;
    this.#open.add(client);
    if (this.#closed) client.close();
  }

  /** Back to the pool once its transfer was settled on the control connection; otherwise it is closed. */
  release(key: string, client: Client, reusable: boolean, expected = false): void {
    if (expected) this.#settling.set(key, (this.#settling.get(key) ?? 1) - 1);
    const waiter = expected ? this.#waiters.get(key)?.shift() : undefined;
    const idle = this.#idle.get(key) ?? [];
    if (!reusable || client.closed || this.#closed || idle.length >= MAX_IDLE_PER_TARGET) {
      this.forget(client);
      return waiter?.(undefined);
    }
    if (waiter !== undefined) return waiter(client);
    idle.push(client);
    this.#idle.set(key, idle);
  }

  forget(client: Client): void {
    client.close();
    this.#open.delete(client);
  }

  close(): void {
    this.#closed = true;
    for (const client of this.#open) client.close();
    this.#open.clear();
    this.#idle.clear();
    for (const waiters of this.#waiters.values()) for (const waiter of waiters.splice(0)) waiter(undefined);
  }
}
