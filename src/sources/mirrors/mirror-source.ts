/**
 * One file at several places (`urls:`), as one ByteSource. Without proof that the mirrors serve the same bytes (a
 * checksum, or a Repr-Digest every mirror in use announces alike: digest-proof.ts), every byte of the file comes
 * from one mirror, and moving to another starts the file again. With proof, each connection goes to the mirror
 * that serves fastest among the hosts with room (hosts(): the scheduler counts each connection against its
 * mirror's host), a failing mirror is dropped and the others go on, and when the file fails its digest the mirrors
 * are tried one at a time until the one that served wrong bytes is found and named.
 */
import { AllMirrorsFailedError, InterruptedError, RemoteStatusError, SourceHostUnavailableError, StallError } from '../../errors.js';
import type { ByteAnswer, ByteRequest, ByteSource, OpenResult, ServedBy, Validators } from '../source.js';
import { agreesWith, digestProof, type DigestProof } from './digest-proof.js';
import { meteredBody } from './metered-body.js';
import { MirrorSlot, rankMirrors, reasonOf } from './mirror-slot.js';
import type { MirrorRanking } from './ranking.js';
import { tagValidators, untagValidators } from './validator-tag.js';

export interface MirrorSourceOptions {
  /** In preference order. */
  mirrors: ReadonlyArray<{ source: ByteSource; host: string }>;
  /** The file has a checksum: bytes from several mirrors may be combined, the checksum proves the result. */
  proven: boolean;
  ranking: MirrorRanking;
  /** The file's path, for notes. */
  name: string;
  /** A warning for the run's log (a bad or dropped mirror). */
  note(message: string): void;
  now?: () => number;
}

export class MirrorSource implements ByteSource {
  readonly displayUrl: string;
  readonly #o: MirrorSourceOptions;
  readonly #slots: MirrorSlot[];
  readonly #now: () => number;
  /** The mirror whose validators the engine holds; in one-mirror mode, the one serving every byte. */
  #owner: MirrorSlot | undefined;
  /** After a checksum mismatch with bytes from several mirrors: the suspects, tried one at a time for the whole file. */
  #suspects: MirrorSlot[] | undefined;
  /** Without a checksum: the digest and size the owner announced, which other mirrors must announce too. */
  #proof: { mirror: MirrorSlot; announced: DigestProof } | undefined;

  constructor(options: MirrorSourceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#slots = options.mirrors.map((m, index) => new MirrorSlot(index, m.source, m.host));
    this.displayUrl = this.#slots[0]!.source.displayUrl;
  }

  get finalUrl(): string | undefined {
    return (this.#owner ?? this.#slots[0]!).source.finalUrl;
  }

  /** One mirror serves the whole file: nothing proves the mirrors' bytes are one version, or a bad one is sought. */
  get #single(): boolean {
    return !(this.#o.proven || this.#proof !== undefined) || this.#suspects !== undefined;
  }

  hosts(): readonly string[] {
    const slots = this.#single ? this.#singleChoices() : this.#ranked();
    const hosts = [...new Set(slots.map((slot) => slot.host))];
    // Every mirror dropped: a connection still goes somewhere, and its open() says that every mirror failed.
    return hosts.length > 0 ? hosts : [this.#slots[0]!.host];
  }

  async open(request: ByteRequest): Promise<OpenResult> {
    const held = request.held;
    const fresh = held === undefined;
    const tagged = held ? untagValidators(held.validators) : request.unlessUnchanged ? untagValidators(request.unlessUnchanged.validators) : undefined;
    const taggedSlot = tagged === undefined ? undefined : this.#slots[tagged.mirror];
    if (fresh && request.first) {
      for (const slot of this.#slots) slot.round = 0;
      // The file starts from nothing: the answer to this request proves (or not) what the others must announce.
      this.#proof = undefined;
      if (!this.#single) this.#owner = undefined;
      // `ifExists: newer`: ask the mirror the kept copy came from whether it changed.
      if (taggedSlot?.healthy && this.#owner === undefined) this.#owner = taggedSlot;
    } else if (!fresh && this.#owner === undefined) {
      // A resumed file: its bytes came from the mirror its validators name.
      if (taggedSlot === undefined) return { kind: 'changed', size: undefined, validators: held.validators };
      this.#owner = taggedSlot;
    }
    let lastError: unknown;
    for (let tries = 0; tries <= this.#slots.length; tries++) {
      const slot = this.#choose(request.host);
      if (slot === undefined && !this.#slots.some((s) => s.healthy)) throw this.#allFailed();
      // The connection's slot is on a host this file is no longer fetched from: it is placed again (hosts()).
      if (slot === undefined || (request.host !== undefined && slot.host !== request.host)) throw new SourceHostUnavailableError(request.host!, { url: this.displayUrl });
      if (this.#single && slot !== this.#owner) {
        const from = this.#owner;
        this.#owner = slot;
        if (!fresh && from !== undefined) {
          return { kind: 'moved', reason: `mirror ${from.source.displayUrl} failed (${reasonOf(from.dropped)}); starting again from ${slot.source.displayUrl}` };
        }
      }
      const outcome = await this.#openAt(slot, request, tagged);
      if (outcome.kind === 'next') {
        lastError = outcome.error;
        continue;
      }
      return outcome.result;
    }
    throw lastError;
  }

  rejected(): string | undefined {
    const served = this.#slots.filter((slot) => slot.round > 0);
    for (const slot of this.#slots) slot.round = 0;
    if (served.length === 1) {
      const [bad] = served as [MirrorSlot];
      this.#suspects = this.#suspects?.filter((slot) => slot !== bad);
      const next = this.#slots.find((slot) => slot !== bad && slot.healthy);
      if (next === undefined) return undefined;
      this.#markBad(bad);
      this.#owner = undefined;
      return `mirror ${bad.source.displayUrl} served bytes that do not match the checksum; downloading again from another mirror`;
    }
    if (served.length > 1) {
      this.#suspects = served;
      this.#owner = undefined;
      return `the checksum does not match bytes served by ${served.length} mirrors; downloading again from one mirror at a time to find the bad one`;
    }
    return undefined;
  }

  verified(): void {
    const suspects = this.#suspects?.filter((slot) => slot !== this.#owner && !slot.bad) ?? [];
    this.#suspects = undefined;
    if (suspects.length === 1) this.#markBad(suspects[0]!);
    else if (suspects.length > 1) this.#o.note(`${this.#o.name}: one of the mirrors ${suspects.map((s) => s.source.displayUrl).join(', ')} served wrong bytes`);
  }

  served(): ServedBy[] {
    return this.#slots.map((slot) => ({
      url: slot.source.displayUrl,
      bytes: slot.bytes,
      ...(slot.dropped === undefined ? {} : { dropped: reasonOf(slot.dropped) }),
      ...(slot.bad ? { bad: true } : {}),
    }));
  }

  /** The mirror for a connection (on `host`, when the connection's slot is there); in one-mirror mode, host aside. */
  #choose(host: string | undefined): MirrorSlot | undefined {
    if (!this.#single) return this.#ranked().find((slot) => host === undefined || slot.host === host);
    const choices = this.#singleChoices();
    return choices.find((slot) => slot.host === host) ?? choices[0];
  }

  /**
   * In one-mirror mode, the mirrors the file may use now: the one serving it, or the next suspect; else, for a file
   * not tied to a mirror yet, every healthy mirror the run ranks best (in the job's order), so a file starts on
   * whichever of them has a free connection instead of waiting for the first.
   */
  #singleChoices(): MirrorSlot[] {
    if (this.#owner?.healthy) return [this.#owner];
    const suspect = this.#suspects?.find((slot) => slot.healthy);
    if (suspect) return [suspect];
    const ranking = this.#o.ranking;
    const order = ranking.order(this.#slots.map((slot) => slot.host)).map((i) => this.#slots[i]!).filter((slot) => slot.healthy);
    const best = order[0] === undefined ? 0 : ranking.penalty(order[0].host);
    return order.filter((slot) => ranking.penalty(slot.host) === best);
  }

  #ranked(): MirrorSlot[] {
    return rankMirrors(this.#slots, (host) => this.#o.ranking.penalty(host), this.#now());
  }

  /** Ask one mirror; `next` when another mirror should be asked instead. */
  async #openAt(slot: MirrorSlot, request: ByteRequest, tagged: { mirror: number; validators: Validators } | undefined): Promise<{ kind: 'done'; result: OpenResult } | { kind: 'next'; error: unknown }> {
    const mine = slot === this.#owner;
    const held = request.held;
    let result: OpenResult;
    try {
      result = await slot.source.open({
        ...request,
        // Each mirror is asked about its own validators; a mirror not asked before is asked without any.
        held: held === undefined ? undefined : mine ? { size: held.size, validators: tagged!.validators } : slot.validators ? { size: held.size, validators: slot.validators } : undefined,
        unlessUnchanged: request.unlessUnchanged && tagged?.mirror === slot.index ? { size: request.unlessUnchanged.size, validators: tagged.validators } : undefined,
      });
    } catch (error) {
      if (request.signal.aborted) throw error;
      // Refused while it serves other connections of the file: its host's connection cap, which the caller learns
      // from (the connection is shed, its range placed again); not a failure of the mirror.
      if (error instanceof RemoteStatusError && error.overloaded && slot.inFlight > 0) throw error;
      // A mirror that failed before serving a byte of the file costs nothing to leave.
      const dropped = slot.failed(error, this.#single && held === undefined);
      if (dropped) this.#dropped(slot);
      // Another mirror to ask at once: on the connection's host, where its slot is.
      const others = this.#slots.some((s) => s !== slot && s.healthy && (request.host === undefined || s.host === request.host));
      if (!dropped && (this.#single || !others)) throw error;
      return { kind: 'next', error };
    }
    if (result.kind !== 'bytes') {
      // With several mirrors in use, a mirror that disagrees with the file is left, not the file.
      if ((result.kind === 'changed' || result.kind === 'no-ranges') && !this.#single && this.#slots.some((s) => s !== slot && s.healthy)) {
        slot.dropped = result.kind === 'changed' ? 'serves another version of the file' : 'does not serve byte ranges';
        this.#dropped(slot);
        return { kind: 'next', error: new Error(String(slot.dropped)) };
      }
      return { kind: 'done', result };
    }
    const { answer } = result;
    if (!this.#single && held?.size !== undefined && answer.size !== undefined && answer.size !== held.size) {
      answer.close();
      slot.dropped = `serves ${answer.size} bytes where the file has ${held.size}`;
      this.#dropped(slot);
      return { kind: 'next', error: new Error(String(slot.dropped)) };
    }
    const proof = this.#proof;
    if (!this.#o.proven && proof !== undefined && slot !== proof.mirror && !agreesWith(proof.announced, answer)) {
      // Closed before a byte is taken: nothing shows its bytes are the file the others serve.
      answer.close();
      slot.dropped = `does not announce the same Repr-Digest as ${proof.mirror.source.displayUrl}`;
      this.#dropped(slot);
      return { kind: 'next', error: new Error(String(slot.dropped)) };
    }
    slot.validators ??= answer.validators;
    if (this.#owner === undefined) this.#owner = slot;
    if (!this.#o.proven && this.#proof === undefined && slot === this.#owner) {
      const announced = digestProof(answer);
      if (announced !== undefined) this.#proof = { mirror: slot, announced };
    }
    const validators = slot === this.#owner ? tagValidators(slot.index, answer.validators) : held!.validators;
    return { kind: 'done', result: { kind: 'bytes', answer: this.#metered(slot, answer, validators, request.signal) } };
  }

  /** The answer as the engine sees it: the file's validators, and a body that counts what this mirror served. */
  #metered(slot: MirrorSlot, answer: ByteAnswer, validators: Validators, signal: AbortSignal): ByteAnswer {
    const openedAt = slot.opened(this.#now());
    const body = meteredBody(answer.body, {
      bytes: (count) => {
        slot.bytes += count;
        slot.round += count;
      },
      ended: (clean, ms) => {
        slot.closed(openedAt, ms);
        if (clean) slot.failures = 0;
      },
    }, this.#now);
    return {
      ...answer,
      validators,
      body,
      explain: (error) => {
        // Ends the engine chose (a restart, a stop) are not the mirror's failures; a stall is.
        const ours = signal.aborted && !(signal.reason instanceof StallError);
        if (!ours && !(error instanceof InterruptedError) && slot.healthy && slot.failed(error, false)) this.#dropped(slot);
        return answer.explain(error);
      },
      close: () => {
        body.finish(false);
        answer.close();
      },
    };
  }

  #dropped(slot: MirrorSlot): void {
    this.#o.ranking.failed(slot.host);
    if (this.#slots.some((s) => s.healthy)) {
      this.#o.note(`${this.#o.name}: mirror ${slot.source.displayUrl} dropped (${reasonOf(slot.dropped)}); going on from the others`);
    }
  }

  #markBad(slot: MirrorSlot): void {
    slot.bad = true;
    slot.dropped = 'served bytes that do not match the checksum';
    this.#o.ranking.failed(slot.host);
    this.#o.note(`warning: mirror ${slot.source.displayUrl} served wrong bytes for ${this.#o.name} (they do not match its checksum); it is not used for this file again`);
  }

  #allFailed(): AllMirrorsFailedError {
    return new AllMirrorsFailedError(
      this.#slots.map((slot) => ({ url: slot.source.displayUrl, error: slot.dropped ?? 'not tried' })),
      { url: this.displayUrl },
    );
  }
}
