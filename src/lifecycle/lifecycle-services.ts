import { CommandService } from '../commands/command-service.ts';
import type { CommandRecord } from '../commands/command-store.ts';
import { setOutputOp } from '../commands/set-output-op.ts';
import type { VigilContext } from '../data-dir/context.ts';
import { CaRollover } from './ca-rollover.ts';
import { CertRenewal } from './cert-renewal.ts';
import { ClaimService } from './claim-service.ts';
import type { FleetLifecycleSources } from './fleet-lifecycle.ts';
import { KeyRotation } from './key-rotation.ts';

/** The command service and the lifecycle ops registered on it, over one data directory. */
export interface LifecycleServices {
  commands: CommandService;
  rotation: KeyRotation;
  renewal: CertRenewal;
  rollover: CaRollover;
  claims: ClaimService;
  /** Starts the periodic work (expiry, resends, overlap ends, schedules); `vigil start` only. */
  start(): void;
  stop(): Promise<void>;
}

/** How often rotation overlaps and schedules are checked. */
const LIFECYCLE_TICK_MS = 2000;
/** How often certificate expiry, renewal grace periods and a CA rollover's progress are checked. */
const RENEWAL_TICK_MS = 10_000;

/**
 * Builds the command service with every lifecycle op registered (rotation, renewal, trust
 * bundle). Any `vigil` process may build it: commands queued by the CLI are sent by the process
 * that has a transport (`vigil start`).
 */
export function createLifecycleServices(
  ctx: VigilContext,
  o: {
    onCommandChange?: (cmd: CommandRecord) => void;
    onKeysChanged?: (deviceId: string) => void;
    /** A certificate was revoked by the lifecycle: rebuild the CRL and apply it. */
    onRevoked?: () => Promise<void>;
  } = {},
): LifecycleServices {
  const { config, store, logger } = ctx;
  const stores = ctx.lifecycleStores;
  const commands = new CommandService({
    commands: stores.commands,
    store,
    master: ctx.master,
    clock: ctx.clock,
    logger: logger.child({ component: 'commands' }),
    topicPrefix: config.mqtt.topicPrefix,
    defaultTtlMs: config.commands.defaultTtlSeconds * 1000,
    resendAfterMs: config.commands.resendAfterSeconds * 1000,
    ...(o.onCommandChange ? { onChange: o.onCommandChange } : {}),
  });
  const count = (name: string) => void store.addCounters({ [name]: 1 }).catch(() => {});
  const rotation = new KeyRotation({
    store,
    rotations: stores.rotations,
    master: ctx.master,
    clock: ctx.clock,
    logger: logger.child({ component: 'key-rotation' }),
    overlapMs: config.keys.rotationOverlapMinutes * 60_000,
    periodMs: config.keys.rotateDeviceSecretsDays * 86_400_000,
    count,
    ...(o.onKeysChanged ? { onKeysChanged: o.onKeysChanged } : {}),
  });
  rotation.attach(commands);
  commands.registerOp('set_output', setOutputOp(store));
  const renewal = new CertRenewal({
    store,
    issuingCa: () => ctx.ca,
    clock: ctx.clock,
    logger: logger.child({ component: 'cert-renewal' }),
    validityDays: config.pki.deviceValidityDays,
    renewBeforeMs: config.pki.renewBeforeDays * 86_400_000,
    graceMs: config.pki.renewGraceDays * 86_400_000,
    count,
    ...(o.onRevoked ? { onRevoked: o.onRevoked } : {}),
  });
  renewal.attach(commands);
  const rollover = new CaRollover(ctx, commands, renewal, logger.child({ component: 'ca-rollover' }));
  const claims = new ClaimService(ctx, stores.claims, logger.child({ component: 'claims' }));
  let timer: NodeJS.Timeout | undefined;
  let renewalTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let renewing: Promise<void> | undefined;
  return {
    commands,
    rotation,
    renewal,
    rollover,
    claims,
    start() {
      commands.start();
      timer = setInterval(() => {
        if (running) return;
        running = rotation
          .tick()
          .catch((err) => logger.error({ err }, 'lifecycle tick failed'))
          .finally(() => {
            running = undefined;
          });
      }, LIFECYCLE_TICK_MS);
      timer.unref();
      renewalTimer = setInterval(() => {
        if (renewing) return;
        renewing = Promise.all([renewal.tick(), rollover.tick()])
          .then(() => undefined)
          .catch((err) => logger.error({ err }, 'certificate renewal tick failed'))
          .finally(() => {
            renewing = undefined;
          });
      }, RENEWAL_TICK_MS);
      renewalTimer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (renewalTimer) clearInterval(renewalTimer);
      await running;
      await renewing;
      await commands.stop();
    },
  };
}

/** What the lifecycle status (device and fleet) reads, from a data directory. */
export function lifecycleSources(ctx: VigilContext): FleetLifecycleSources {
  const stores = ctx.lifecycleStores;
  return {
    store: ctx.store,
    rotations: stores.rotations,
    commands: stores.commands,
    clock: ctx.clock,
    rotatePeriodDays: ctx.config.keys.rotateDeviceSecretsDays,
    renewBeforeDays: ctx.config.pki.renewBeforeDays,
  };
}
