/**
 * The schedules of the lifecycle (issue §2 and §3), with a clock moved forward: device secrets
 * older than keys.rotateDeviceSecretsDays and certificates within pki.renewBeforeDays are renewed
 * automatically, spread over time, never the whole fleet at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CommandService } from '../src/commands/command-service.ts';
import { CertRenewal } from '../src/lifecycle/cert-renewal.ts';
import { KeyRotation } from '../src/lifecycle/key-rotation.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

const DAY = 86_400_000;
let inst: Instance;

before(async () => {
  inst = await startInstance();
  for (let i = 1; i <= 5; i++) await inst.addDevice(`sched-dev-00${i}`);
});
after(async () => {
  await inst.destroy();
});

/** Lifecycle services of the instance's stores with a clock `offsetMs` ahead. */
function ahead(offsetMs: number) {
  const { ctx } = inst;
  const clock = () => Date.now() + offsetMs;
  const commands = new CommandService({
    commands: ctx.lifecycleStores.commands,
    store: ctx.store,
    master: ctx.master,
    clock,
    logger: ctx.logger,
    topicPrefix: 'vigil/v1',
    defaultTtlMs: DAY,
    resendAfterMs: 30_000,
  });
  const rotation = new KeyRotation({
    store: ctx.store,
    rotations: ctx.lifecycleStores.rotations,
    master: ctx.master,
    clock,
    logger: ctx.logger,
    overlapMs: 3_600_000,
    periodMs: 90 * DAY,
  });
  rotation.attach(commands);
  const renewal = new CertRenewal({
    store: ctx.store,
    issuingCa: () => ctx.ca,
    clock,
    logger: ctx.logger,
    validityDays: 825,
    renewBeforeMs: 30 * DAY,
    graceMs: 7 * DAY,
  });
  renewal.attach(commands);
  return { rotation, renewal };
}

describe('lifecycle schedules', () => {
  it('rotates secrets older than the period one device at a time, not the fleet at once', async () => {
    const { rotation } = ahead(50 * DAY);
    await rotation.tick();
    assert.equal(
      (await inst.ctx.lifecycleStores.rotations.listOpenRotations()).length,
      0,
      'nothing is due after 50 days',
    );
    const late = ahead(91 * DAY).rotation;
    await late.tick();
    const open = await inst.ctx.lifecycleStores.rotations.listOpenRotations();
    assert.equal(open.length, 1, 'at most 1 % of the fleet (at least one device) at once');
    assert.equal(open[0]?.startedBy, 'system');
    await ahead(91 * DAY + 61_000).rotation.tick();
    assert.equal(
      (await inst.ctx.lifecycleStores.rotations.listOpenRotations()).length,
      1,
      'the next waits for the open one',
    );
    const audit = await inst.ctx.store.queryAudit({ action: 'command.queued' });
    assert.match(String(audit.find((a) => a.detail.op === 'rotate_key')?.detail.reason), /scheduled/);
  });

  it('asks devices whose certificate expires within renewBeforeDays for a CSR, a few at a time', async () => {
    await ahead(700 * DAY).renewal.tick();
    const early = await inst.ctx.lifecycleStores.commands.list({ states: ['queued'], limit: 100 });
    assert.equal(early.filter((c) => c.op === 'renew_cert').length, 0, 'not due with 125 days left');
    await ahead(800 * DAY).renewal.tick();
    const due = (await inst.ctx.lifecycleStores.commands.list({ states: ['queued'], limit: 100 })).filter(
      (c) => c.op === 'renew_cert',
    );
    assert.equal(due.length, 1, 'one device per tick for a fleet of five');
    await ahead(800 * DAY).renewal.tick();
    const again = (await inst.ctx.lifecycleStores.commands.list({ states: ['queued'], limit: 100 })).filter(
      (c) => c.op === 'renew_cert',
    );
    assert.equal(new Set(again.map((c) => c.deviceId)).size, again.length, 'never twice for one device');
  });
});
