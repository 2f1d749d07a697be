import { buildRecords } from './build-records.ts';
import { checkAlg } from './check-alg.ts';
import { checkEnvelopeTime } from './check-envelope-time.ts';
import { checkReplay } from './check-replay.ts';
import { checkSampleTimes } from './check-sample-times.ts';
import { decryptBody } from './decrypt-body.ts';
import type { ReceiverStep } from './message-context.ts';
import { parseBody } from './parse-body.ts';
import { parseEnvelopeStep } from './parse-envelope.ts';
import { parseTopic } from './parse-topic.ts';
import { resolveDevice } from './resolve-device.ts';
import { verifyMac } from './verify-mac.ts';

/**
 * The receiver order of docs/protocol.md §6.2 (DESIGN.md §4), one small step each, in the spirit
 * of aedes' `publishActions`: topic → size and schema → device and kid → alg binding → MAC →
 * envelope time → replay → decrypt → body schema → sample times → rows. Nothing is decrypted
 * before the MAC verified; nothing after the replay step awaits.
 */
export const RECEIVER_STEPS: readonly ReceiverStep[] = [
  parseTopic,
  parseEnvelopeStep,
  resolveDevice,
  checkAlg,
  verifyMac,
  checkEnvelopeTime,
  checkReplay,
  decryptBody,
  parseBody,
  checkSampleTimes,
  buildRecords,
];
