/**
 * Firmware in PostgreSQL against an operator of the database: manifests and images are public
 * and stored in clear, but a row or chunk altered, swapped or dropped there is refused on read
 * instead of being served (each carries an HMAC under the data key), and a Range read touches
 * only the chunks it covers.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isVigilError } from '../../errors.ts';
import { sampleFirmware } from '../../ota/ota-store-contract.ts';
import { postgresFixture } from './postgres.fixture.ts';
import { PG_IMAGE_CHUNK_BYTES } from './postgres-ota-migration.ts';

const pg = await postgresFixture();
const skip = pg.skip ?? false;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

const isStoreError = (e: unknown) => isVigilError(e, 'VIGIL_ERR_STORE');

describe('firmware integrity in PostgreSQL', { skip }, () => {
  it('refuses to serve an image whose chunk was altered, swapped or dropped in the database', async () => {
    const db = await pg.fresh();
    const q = (sql: string) => pg.server?.query(sql.replaceAll('$S', db.schema));
    try {
      const a = randomBytes(3 * PG_IMAGE_CHUNK_BYTES + 100);
      const b = randomBytes(3 * PG_IMAGE_CHUNK_BYTES + 100);
      await db.images.put(sha(a), a);
      await db.images.put(sha(b), b);
      assert.ok((await collect(db.images.read(sha(a), 0, a.length - 1))).equals(a));

      // One flipped byte in chunk 1 of image a: the read fails at that chunk, whole or by range.
      await q(`UPDATE $S.firmware_chunks SET data = set_byte(data, 7, get_byte(data, 7) # 255)
               WHERE sha256 = '${sha(a)}' AND n = 1`);
      await assert.rejects(collect(db.images.read(sha(a), 0, a.length - 1)), isStoreError);
      await assert.rejects(
        collect(db.images.read(sha(a), PG_IMAGE_CHUNK_BYTES + 5, PG_IMAGE_CHUNK_BYTES + 9)),
        isStoreError,
      );
      // Chunk 2 of b moved (data and MAC together) into image b's chunk 0: bound to its place.
      await q(`UPDATE $S.firmware_chunks c SET data = o.data, mac = o.mac FROM $S.firmware_chunks o
               WHERE c.sha256 = '${sha(b)}' AND c.n = 0 AND o.sha256 = '${sha(b)}' AND o.n = 2`);
      await assert.rejects(collect(db.images.read(sha(b), 0, 10)), isStoreError);
      // The last chunk dropped: a read that needs it fails; one that does not, succeeds, which
      // also shows that a Range read fetches only the chunks it covers.
      const c = randomBytes(3 * PG_IMAGE_CHUNK_BYTES + 100);
      await db.images.put(sha(c), c);
      await q(`DELETE FROM $S.firmware_chunks WHERE sha256 = '${sha(c)}' AND n = 3`);
      await assert.rejects(collect(db.images.read(sha(c), 0, c.length - 1)), isStoreError);
      const mid = await collect(db.images.read(sha(c), PG_IMAGE_CHUNK_BYTES, 2 * PG_IMAGE_CHUNK_BYTES + 9));
      assert.ok(mid.equals(c.subarray(PG_IMAGE_CHUNK_BYTES, 2 * PG_IMAGE_CHUNK_BYTES + 10)));
      // A size changed to hide the missing tail is refused too.
      await q(`UPDATE $S.firmware_images SET size = ${3 * PG_IMAGE_CHUNK_BYTES} WHERE sha256 = '${sha(c)}'`);
      await assert.rejects(db.images.size(sha(c)), isStoreError);
    } finally {
      await db.dispose();
    }
  });

  it('refuses a firmware row whose profile or manifest was changed in the database', async () => {
    const db = await pg.fresh();
    const q = (sql: string) => pg.server?.query(sql.replaceAll('$S', db.schema));
    try {
      await db.ota.addFirmware(sampleFirmware('1.0.0'));
      await db.ota.addFirmware(sampleFirmware('1.1.0'));
      assert.equal((await db.ota.getFirmware('1.0.0'))?.profile, 'temperature-probe');
      // Served to another profile's devices: refused.
      await q(`UPDATE $S.firmware SET profile = 'vaccine-transport' WHERE version = '1.0.0'`);
      await assert.rejects(db.ota.getFirmware('1.0.0'), isStoreError);
      await assert.rejects(db.ota.listFirmware(), isStoreError);
      // Another version's manifest and MAC copied over: bound to its version, refused.
      await q(`UPDATE $S.firmware f SET profile = o.profile, manifest = o.manifest, mac = o.mac
               FROM $S.firmware o WHERE f.version = '1.0.0' AND o.version = '1.1.0'`);
      await assert.rejects(db.ota.getFirmware('1.0.0'), isStoreError);
      assert.equal((await db.ota.getFirmware('1.1.0'))?.version, '1.1.0');
    } finally {
      await db.dispose();
    }
  });
});
