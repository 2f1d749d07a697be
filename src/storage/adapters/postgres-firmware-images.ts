import { VigilError } from '../../errors.ts';
import { type FirmwareImageStore, SHA256_HEX } from '../../ota/firmware-image-store.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { PG_IMAGE_CHUNK_BYTES } from './postgres-ota-migration.ts';
import { pgOps, pgStoreError } from './postgres-store-rows.ts';

/** Chunks fetched per query of a read: at most this many chunk sizes in memory per download. */
const CHUNKS_PER_QUERY = 4;

const num = (n: number) => Buffer.from(String(n));

/**
 * Firmware images in PostgreSQL (`firmware_images`, `firmware_chunks`, migration 7), so every
 * process of a cluster serves the same bytes and the database's backup carries them. An image is
 * cut in chunks of 256 KiB: a Range request reads only the chunks it covers, a few at a time,
 * never the whole image. Images are public (every device of the profile may fetch them), so they
 * are stored in clear, but each chunk carries an HMAC under the data key over the image hash, its
 * index and its bytes, and the image row one over its size and chunking: a chunk altered, moved
 * or dropped in the database fails the read (VIGIL_ERR_STORE) instead of being served.
 */
export class PostgresFirmwareImages implements FirmwareImageStore {
  readonly #db: PostgresDatabase;
  readonly #ops: ReturnType<typeof pgOps>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#ops = pgOps(db, (err) => pgStoreError(err, 'firmware_images'));
  }

  async put(sha256: string, image: Buffer): Promise<void> {
    check(sha256);
    const c = this.#db.cipher;
    await this.#ops.tx(async (q) => {
      const r = await q.query(
        `INSERT INTO firmware_images (sha256, size, chunk_bytes, mac) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sha256) DO NOTHING`,
        [
          sha256,
          image.length,
          PG_IMAGE_CHUNK_BYTES,
          c.mac('firmware_images', sha256, num(image.length), num(PG_IMAGE_CHUNK_BYTES)),
        ],
      );
      // Already stored (in one transaction, so whole): the same hash names the same bytes.
      if (r.rowCount === 0) return;
      for (let n = 0; n * PG_IMAGE_CHUNK_BYTES < image.length; n++) {
        const data = image.subarray(n * PG_IMAGE_CHUNK_BYTES, (n + 1) * PG_IMAGE_CHUNK_BYTES);
        await q.query('INSERT INTO firmware_chunks (sha256, n, data, mac) VALUES ($1, $2, $3, $4)', [
          sha256,
          n,
          data,
          c.mac('firmware_chunks', `${sha256}|${n}`, data),
        ]);
      }
    });
  }

  async size(sha256: string): Promise<number | null> {
    return (await this.#image(sha256))?.size ?? null;
  }

  async *read(sha256: string, start: number, end: number): AsyncIterable<Buffer> {
    const img = await this.#image(sha256);
    if (!img) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'firmware image');
    if (start < 0 || end < start || end >= img.size) throw new VigilError('VIGIL_ERR_USAGE', 'range');
    const c = this.#db.cipher;
    const last = Math.floor(end / img.chunkBytes);
    for (let from = Math.floor(start / img.chunkBytes); from <= last; from += CHUNKS_PER_QUERY) {
      const to = Math.min(last, from + CHUNKS_PER_QUERY - 1);
      const rows = await this.#ops.q<{ n: number; data: Buffer; mac: Buffer }>(
        'SELECT n, data, mac FROM firmware_chunks WHERE sha256 = $1 AND n BETWEEN $2 AND $3 ORDER BY n',
        [sha256, from, to],
      );
      for (let n = from; n <= to; n++) {
        const row = rows[n - from];
        if (row?.n !== n) throw altered(`${sha256}|${n}`);
        c.checkMac('firmware_chunks', `${sha256}|${n}`, row.mac, row.data);
        const base = n * img.chunkBytes;
        // Every chunk but the last is full: a short one inside the image is an alteration.
        if (row.data.length !== Math.min(img.chunkBytes, img.size - base)) throw altered(`${sha256}|${n}`);
        yield row.data.subarray(Math.max(0, start - base), Math.min(row.data.length, end - base + 1));
      }
    }
  }

  async #image(sha256: string): Promise<{ size: number; chunkBytes: number } | null> {
    check(sha256);
    const [r] = await this.#ops.q<{ size: string; chunk_bytes: number; mac: Buffer }>(
      'SELECT size, chunk_bytes, mac FROM firmware_images WHERE sha256 = $1',
      [sha256],
    );
    if (!r) return null;
    const size = Number(r.size);
    this.#db.cipher.checkMac('firmware_images', sha256, r.mac, num(size), num(r.chunk_bytes));
    return { size, chunkBytes: r.chunk_bytes };
  }
}

function check(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new VigilError('VIGIL_ERR_USAGE', 'not a SHA-256');
}

const altered = (id: string) =>
  new VigilError('VIGIL_ERR_STORE', `[postgres] firmware_chunks: chunk missing or altered (${id})`);
