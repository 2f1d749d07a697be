import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { RotationRecord, RotationStore } from './rotation-store.ts';

/** A fresh, migrated, empty rotation store. */
export interface RotationStoreFixture {
  rotations: RotationStore;
  registerDevice: (id: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

const T = 1_795_305_600_000;

function rotation(deviceId: string, kid: number, over: Partial<RotationRecord> = {}): RotationRecord {
  return {
    deviceId,
    kid,
    fromKid: kid - 1,
    commandId: `00000000-0000-4000-8000-${String(kid).padStart(6, '0')}${deviceId.length.toString().padStart(6, '0')}`,
    state: 'pending',
    startedAt: T + kid,
    startedBy: 'cli',
    ackedAt: null,
    completedAt: null,
    error: null,
    ...over,
  };
}

/** The behaviour every RotationStore adapter must show. */
export function runRotationStoreContract(o: ContractOptions<RotationStoreFixture>): void {
  const test = contractTest(o);
  describe(`RotationStore contract: ${o.name}`, () => {
    test('records a rotation and finds it by device and kid or by its command', async (f) => {
      await f.registerDevice('truck-0001');
      const r = rotation('truck-0001', 2);
      await f.rotations.startRotation(r);
      assert.deepEqual(await f.rotations.getRotation('truck-0001', 2), r);
      assert.deepEqual(await f.rotations.rotationByCommand(r.commandId), r);
      assert.equal(await f.rotations.getRotation('truck-0001', 3), null);
      await rejectsWith(f.rotations.startRotation(r), 'VIGIL_ERR_ROTATION_PENDING');
    });

    test('moves through acked to completed, stamping each step', async (f) => {
      await f.registerDevice('truck-0001');
      await f.rotations.startRotation(rotation('truck-0001', 2));
      const acked = await f.rotations.setRotationState('truck-0001', 2, 'acked', T + 10);
      assert.equal(acked?.ackedAt, T + 10);
      assert.equal((await f.rotations.listOpenRotations()).length, 1);
      const done = await f.rotations.setRotationState('truck-0001', 2, 'completed', T + 20);
      assert.equal(done?.completedAt, T + 20);
      assert.deepEqual(await f.rotations.listOpenRotations(), []);
      assert.equal(await f.rotations.setRotationState('truck-0001', 9, 'failed', T, 'x'), null);
      assert.equal(
        await f.rotations.setRotationState('truck-0001', 2, 'completed', T + 30),
        null,
        'completes once',
      );
      assert.equal((await f.rotations.getRotation('truck-0001', 2))?.completedAt, T + 20);
    });

    test('lists the newest rotation per device', async (f) => {
      await f.registerDevice('truck-0001');
      await f.registerDevice('truck-0002');
      await f.rotations.startRotation(rotation('truck-0001', 2));
      await f.rotations.setRotationState('truck-0001', 2, 'failed', T, 'expired');
      await f.rotations.startRotation(rotation('truck-0001', 3));
      await f.rotations.startRotation(rotation('truck-0002', 2));
      const latest = await f.rotations.latestRotations();
      assert.deepEqual(
        latest.map((r) => [r.deviceId, r.kid, r.state]),
        [
          ['truck-0001', 3, 'pending'],
          ['truck-0002', 2, 'pending'],
        ],
      );
      assert.deepEqual(
        (await f.rotations.latestRotations('truck-0002')).map((r) => r.kid),
        [2],
      );
    });
  });
}
