import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { CommandRecord, CommandStore } from './command-store.ts';

/** A fresh, migrated, empty command store and a way to dispose of it. */
export interface CommandStoreFixture {
  commands: CommandStore;
  /** Registers a device in the same database (a command is addressed to a provisioned device). */
  registerDevice: (id: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

const T = 1_795_305_600_000;

export function queuedCommand(id: string, over: Partial<CommandRecord> = {}): CommandRecord {
  return {
    id,
    deviceId: 'truck-0001',
    op: 'set_interval',
    args: { seconds: 60 },
    state: 'queued',
    outcome: null,
    error: null,
    result: null,
    createdBy: 'user:dana',
    reason: 'slower sampling on the ferry',
    createdAt: T,
    expiresAt: T + 600_000,
    sentAt: null,
    sendCount: 0,
    downlinkSeq: null,
    ackedAt: null,
    updatedAt: T,
    ...over,
  };
}

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

/** The behaviour every CommandStore adapter must show. */
export function runCommandStoreContract(o: ContractOptions<CommandStoreFixture>): void {
  const test = contractTest(o);
  describe(`CommandStore contract: ${o.name}`, () => {
    test('keeps a queued command with its args, author and reason', async (f) => {
      await f.registerDevice('truck-0001');
      await f.commands.enqueue(queuedCommand(uuid(1)));
      const c = await f.commands.get(uuid(1));
      assert.equal(c?.state, 'queued');
      assert.deepEqual(c?.args, { seconds: 60 });
      assert.equal(c?.createdBy, 'user:dana');
      assert.equal(c?.reason, 'slower sampling on the ferry');
      assert.equal(await f.commands.get(uuid(99)), null);
    });

    test('refuses a repeated command id and a command to an unknown device', async (f) => {
      await f.registerDevice('truck-0001');
      await f.commands.enqueue(queuedCommand(uuid(1)));
      await rejectsWith(f.commands.enqueue(queuedCommand(uuid(1))), 'VIGIL_ERR_COMMAND_EXISTS');
      await rejectsWith(
        f.commands.enqueue(queuedCommand(uuid(2), { deviceId: 'nobody-here' })),
        'VIGIL_ERR_NOT_FOUND',
      );
    });

    test('lists in queue order, filtered by device and state', async (f) => {
      await f.registerDevice('truck-0001');
      await f.registerDevice('truck-0002');
      for (let i = 1; i <= 5; i++) await f.commands.enqueue(queuedCommand(uuid(i), { createdAt: T - i }));
      await f.commands.enqueue(queuedCommand(uuid(6), { deviceId: 'truck-0002' }));
      await f.commands.recordSend(uuid(2), T + 1);
      const all = await f.commands.list({ deviceId: 'truck-0001' });
      assert.deepEqual(
        all.map((c) => c.id),
        [1, 2, 3, 4, 5].map(uuid),
      );
      const sent = await f.commands.list({ states: ['sent'] });
      assert.deepEqual(
        sent.map((c) => c.id),
        [uuid(2)],
      );
      const newest = await f.commands.list({ deviceId: 'truck-0001', newestFirst: true, limit: 2 });
      assert.deepEqual(
        newest.map((c) => c.id),
        [uuid(5), uuid(4)],
      );
      assert.deepEqual(await f.commands.devicesWithPending(), ['truck-0001', 'truck-0002']);
    });

    test('gives every send of a device a new, increasing downlink seq, across commands and resends', async (f) => {
      await f.registerDevice('truck-0001');
      await f.registerDevice('truck-0002');
      await f.commands.enqueue(queuedCommand(uuid(1)));
      await f.commands.enqueue(queuedCommand(uuid(2)));
      await f.commands.enqueue(queuedCommand(uuid(3), { deviceId: 'truck-0002' }));
      assert.equal(await f.commands.peekDownlinkSeq('truck-0001'), 0);
      const a = await f.commands.recordSend(uuid(1), T + 1);
      const b = await f.commands.recordSend(uuid(2), T + 2);
      const again = await f.commands.recordSend(uuid(1), T + 3);
      const other = await f.commands.recordSend(uuid(3), T + 4);
      assert.deepEqual([a?.seq, b?.seq, again?.seq, other?.seq], [0, 1, 2, 0]);
      assert.equal(again?.command.sendCount, 2);
      assert.equal(again?.command.state, 'sent');
      assert.equal(again?.command.downlinkSeq, 2);
      assert.equal(await f.commands.peekDownlinkSeq('truck-0001'), 3);
    });

    test('records an ack once, for the right device only; a late ack changes nothing', async (f) => {
      await f.registerDevice('truck-0001');
      await f.commands.enqueue(queuedCommand(uuid(1)));
      await f.commands.recordSend(uuid(1), T + 1);
      assert.equal(await f.commands.recordAck(uuid(1), 'truck-0002', { ok: true }, T + 2), null);
      const acked = await f.commands.recordAck(
        uuid(1),
        'truck-0001',
        { ok: false, error: 'bad args', result: { code: 3 } },
        T + 3,
      );
      assert.equal(acked?.state, 'acked');
      assert.equal(acked?.outcome, 'error');
      assert.equal(acked?.error, 'bad args');
      assert.deepEqual(acked?.result, { code: 3 });
      assert.equal(await f.commands.recordAck(uuid(1), 'truck-0001', { ok: true }, T + 4), null);
      assert.equal((await f.commands.get(uuid(1)))?.outcome, 'error');
      assert.equal(await f.commands.recordSend(uuid(1), T + 5), null, 'an acked command is not sent again');
    });

    test('expires pending commands past their deadline, and only those', async (f) => {
      await f.registerDevice('truck-0001');
      await f.commands.enqueue(queuedCommand(uuid(1), { expiresAt: T + 10 }));
      await f.commands.enqueue(queuedCommand(uuid(2), { expiresAt: T + 10 }));
      await f.commands.enqueue(queuedCommand(uuid(3), { expiresAt: T + 1000 }));
      await f.commands.recordSend(uuid(2), T + 1);
      await f.commands.recordSend(uuid(1), T + 1);
      await f.commands.recordAck(uuid(1), 'truck-0001', { ok: true }, T + 2);
      const expired = await f.commands.expireDue(T + 10);
      assert.deepEqual(
        expired.map((c) => [c.id, c.state]),
        [[uuid(2), 'expired']],
      );
      assert.equal((await f.commands.get(uuid(3)))?.state, 'queued');
      assert.equal(await f.commands.recordAck(uuid(2), 'truck-0001', { ok: true }, T + 11), null);
      assert.deepEqual(await f.commands.expireDue(T + 10), []);
    });
  });
}
