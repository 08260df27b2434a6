/** The run's open FTP connections, so that the end of the run closes whatever an interrupted range left open. */
import type { Client } from 'basic-ftp';

export class FtpClients {
  readonly #open = new Set<Client>();
  /** Connections opened so far (tests check that ranges really used several). */
  opened = 0;

  track(client: Client): () => void {
    this.opened++;
    this.#open.add(client);
    return () => void this.#open.delete(client);
  }

  close(): void {
    for (const client of this.#open) client.close();
    this.#open.clear();
  }
}
