import type { SimDevice } from '../../src/sim/sim-device.ts';
import { type Instance, truckSample, waitFor } from './instance.ts';

/**
 * Makes simulated devices record a truck reading every `periodMs` while a lifecycle operation
 * runs, counting what they recorded, so a test can show that no reading was lost.
 */
export function publishWhile(fleet: SimDevice[], periodMs = 20, maxRounds = 3000) {
  let recorded = 0;
  let stopped = false;
  const done = (async () => {
    for (let n = 0; n < maxRounds && !stopped; n++) {
      for (const d of fleet) {
        d.record(truckSample(Date.now() - 1000), [], true);
        recorded++;
      }
      await new Promise((r) => setTimeout(r, periodMs));
    }
  })();
  return {
    get recorded() {
      return recorded;
    },
    async stop(): Promise<number> {
      stopped = true;
      await done;
      return recorded;
    },
  };
}

/** Waits until the store holds exactly `recorded` readings of the fleet (none lost, none twice). */
export async function waitAllStored(inst: Instance, fleet: SimDevice[], recorded: number): Promise<void> {
  await waitFor(
    'every reading stored',
    async () => {
      let stored = 0;
      for (const d of fleet) stored += await inst.ctx.store.countReadings(d.id);
      return stored === recorded;
    },
    20_000,
  );
}
