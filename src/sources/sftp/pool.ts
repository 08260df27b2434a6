/**
 * The run's SSH connections: one per range being read (each its own session, so the server encrypts on several
 * cores), kept idle between ranges of the same host and user, and all closed when the run ends.
 */
import { openSession, type SftpSession, type SshTarget } from './session.js';

const MAX_IDLE_PER_TARGET = 16;

export class SshPool {
  readonly #idle = new Map<string, SftpSession[]>();
  readonly #all = new Set<SftpSession>();
  #closed = false;
  /** Connections opened so far (tests check that ranges really used several). */
  opened = 0;

  async acquire(target: SshTarget, displayUrl: string, timeoutMs: number, signal: AbortSignal): Promise<SftpSession> {
    const idle = this.#idle.get(keyOf(target)) ?? [];
    for (let session = idle.pop(); session !== undefined; session = idle.pop()) {
      if (!session.broken) return session;
      this.#forget(session);
    }
    const session = await openSession(target, displayUrl, timeoutMs, signal);
    this.opened++;
    this.#all.add(session);
    if (this.#closed) this.#forget(session);
    return session;
  }

  /** Back to the pool after a range was read to its end; a broken or surplus session is closed. */
  release(target: SshTarget, session: SftpSession, reusable: boolean): void {
    const idle = this.#idle.get(keyOf(target)) ?? [];
    if (!reusable || session.broken || this.#closed || idle.length >= MAX_IDLE_PER_TARGET) return this.#forget(session);
    idle.push(session);
    this.#idle.set(keyOf(target), idle);
  }

  close(): void {
    this.#closed = true;
    for (const session of this.#all) session.client.end();
    this.#all.clear();
    this.#idle.clear();
  }

  #forget(session: SftpSession): void {
    this.#all.delete(session);
    session.client.end();
  }
}

function keyOf(target: SshTarget): string {
  const s = target.settings;
  return JSON.stringify([target.host, target.port, target.user, s.identity, s.knownHosts, s.agent, s.password !== undefined]);
}
