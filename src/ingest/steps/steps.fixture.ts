/**
 * Test fixture for the receiver-step unit tests: a device with real keys, sealed messages, step
 * dependencies with an in-memory keyring and a real ReplayGuard, and a runner that prepares a
 * context with the real steps that come before the one under test. Never imported by runtime code.
 */
import { VigilError } from '../../errors.ts';
import type { Alg } from '../../protocol/aead.ts';
import type { DeviceProfile } from '../../protocol/device-profile.ts';
import type { Channel } from '../../protocol/envelope.ts';
import { deriveDeviceKeys } from '../../protocol/keys.ts';
import type { DeviceRecord } from '../../storage/store.ts';
import { sampleDevice } from '../../storage/store-records.fixture.ts';
import { PREFIX, type SealOptions, sealFor, type TestDevice, truckSample } from '../ingest.fixture.ts';
import { ReplayGuard } from '../replay-guard.ts';
import {
  type MessageContext,
  newMessageContext,
  type ReceiverStep,
  type StepDeps,
} from './message-context.ts';
import { RECEIVER_STEPS } from './receiver-steps.ts';

/** The fixed clock of the step tests: the vectors' late-November-2026 time. */
export const NOW = 1_795_305_600_000;

export function testDevice(
  id = 'truck-0042',
  profile: DeviceProfile = 'vaccine-transport',
  alg: Alg = 'A256GCM',
): TestDevice {
  const secret = Buffer.alloc(32, id.length);
  return { id, profile, alg, kid: 1, secret, keys: deriveDeviceKeys(secret, id) };
}

export function recordOf(d: TestDevice, over: Partial<DeviceRecord> = {}): DeviceRecord {
  return sampleDevice(d.id, { profile: d.profile, alg: d.alg, createdAt: NOW, updatedAt: NOW, ...over });
}

/** Dependencies resolving the given devices (kid 1), with a fresh in-memory replay state. */
export function stepDeps(devices: TestDevice[], over: Partial<StepDeps> = {}): StepDeps {
  const byId = new Map(devices.map((d) => [d.id, d]));
  return {
    topicPrefix: PREFIX,
    keyring: {
      resolve: async (id: string, kid: number) => {
        const d = byId.get(id);
        if (!d) return new VigilError('VIGIL_ERR_UNKNOWN_DEVICE', id);
        if (kid !== d.kid) return new VigilError('VIGIL_ERR_UNKNOWN_KID', `${id} kid ${kid}`);
        return { device: recordOf(d), keys: d.keys };
      },
    },
    replay: new ReplayGuard({ getReplayState: async () => null }, 1024, () => NOW),
    maxFutureSkewMs: 300_000,
    backfillAfterMs: 120_000,
    tokenHash: (t) => `hash(${t.length})`,
    ...over,
  };
}

/** A message as the broker hands it over: body sealed for the device on `channel`. */
export function messageContext(
  d: TestDevice,
  body: unknown,
  o: Partial<SealOptions> & { channel?: Channel; publisher?: string } = {},
): MessageContext {
  const channel = o.channel ?? 'telemetry';
  const payload = sealFor(d, body, { seq: 1, ts: NOW, ...o, channel });
  return newMessageContext(
    {
      topic: `${PREFIX}/devices/${d.id}/${channel}`,
      payload,
      receivedAt: NOW,
      publisher: o.publisher ?? d.id,
    },
    NOW,
  );
}

/** Runs the real receiver steps that come before `step`, so `ctx` is what `step` would get. */
export async function runBefore(step: ReceiverStep, ctx: MessageContext, deps: StepDeps): Promise<void> {
  const at = RECEIVER_STEPS.indexOf(step);
  if (at < 0) throw new Error('not a receiver step');
  for (const s of RECEIVER_STEPS.slice(0, at)) await s(ctx, deps);
}

/** The error code and detail (what the audit log gets as `why`) a step throws, or null. */
export async function refusalOf(
  step: ReceiverStep,
  ctx: MessageContext,
  deps: StepDeps,
): Promise<{ code: string; detail: string | undefined } | null> {
  try {
    await step(ctx, deps);
    return null;
  } catch (err) {
    if (err instanceof VigilError) return { code: err.code, detail: err.detail };
    throw err;
  }
}

/** The error code a step throws, or null when it passes. */
export async function codeOf(
  step: ReceiverStep,
  ctx: MessageContext,
  deps: StepDeps,
): Promise<string | null> {
  try {
    await step(ctx, deps);
    return null;
  } catch (err) {
    if (err instanceof VigilError) return err.code;
    throw err;
  }
}

/** A valid vaccine-transport sample, taken a second before NOW by default. */
export const sample = (ts = NOW - 1000) => truckSample(ts);
