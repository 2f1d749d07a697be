import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * A device's outgoing `seq`, kept across reboots as firmware does: numbers are reserved in blocks
 * and the end of the block is written to disk before any number of it is used, so a crash skips
 * ahead but never reuses a seq (DESIGN.md §4: strictly increasing, kept across reboots).
 */
export class SeqStore {
  readonly #path: string;
  readonly #block: number;
  #next: number;
  #reservedUntil: number;

  constructor(path: string, block = 256) {
    this.#path = path;
    this.#block = block;
    const saved = existsSync(path) ? Number(JSON.parse(readFileSync(path, 'utf8')).next ?? 0) : 0;
    this.#next = Number.isSafeInteger(saved) && saved >= 0 ? saved : 0;
    this.#reservedUntil = this.#next;
  }

  next(): number {
    if (this.#next >= this.#reservedUntil) {
      this.#reservedUntil = this.#next + this.#block;
      const tmp = `${this.#path}.tmp`;
      writeFileSync(tmp, JSON.stringify({ next: this.#reservedUntil }));
      renameSync(tmp, this.#path);
    }
    return this.#next++;
  }
}
