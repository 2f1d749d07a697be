import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { FirmwareImageStore } from './firmware-image-store.ts';

/** A fresh, empty image store and a way to dispose of it. */
export interface FirmwareImageStoreFixture {
  images: FirmwareImageStore;
  cleanup: () => Promise<void>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

/** The behaviour every FirmwareImageStore adapter must show. */
export function runFirmwareImageStoreContract(o: ContractOptions<FirmwareImageStoreFixture>): void {
  const test = contractTest(o);
  describe(`FirmwareImageStore contract: ${o.name}`, () => {
    test('keeps an image by its hash and reads it back whole', async ({ images }) => {
      const img = randomBytes(700 * 1024 + 13);
      assert.equal(await images.size(sha(img)), null);
      await images.put(sha(img), img);
      assert.equal(await images.size(sha(img)), img.length);
      assert.ok((await collect(images.read(sha(img), 0, img.length - 1))).equals(img));
      // Storing the same image again changes nothing.
      await images.put(sha(img), img);
      assert.equal(await images.size(sha(img)), img.length);
    });

    test('reads any byte range, across piece boundaries, without the rest', async ({ images }) => {
      const img = randomBytes(600 * 1024 + 7);
      await images.put(sha(img), img);
      for (const [start, end] of [
        [0, 0],
        [1, 9],
        [262_143, 262_144],
        [100_000, 550_000],
        [img.length - 1, img.length - 1],
        [20_000, img.length - 1],
      ] as const) {
        const got = await collect(images.read(sha(img), start, end));
        assert.ok(got.equals(img.subarray(start, end + 1)), `range ${start}-${end}`);
      }
      const tiny = Buffer.from('x');
      await images.put(sha(tiny), tiny);
      assert.ok((await collect(images.read(sha(tiny), 0, 0))).equals(tiny));
    });

    test('an unknown image has no size and reading it fails with NOT_FOUND', async ({ images }) => {
      const missing = '0'.repeat(64);
      assert.equal(await images.size(missing), null);
      await rejectsWith(collect(images.read(missing, 0, 0)), 'VIGIL_ERR_NOT_FOUND');
    });
  });
}
