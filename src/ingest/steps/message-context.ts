import type { DeviceEventBody, Sample } from '../../protocol/bodies.ts';
import type { Envelope } from '../../protocol/envelope.ts';
import type { DeviceKeys } from '../../protocol/keys.ts';
import type { DeviceRecord, MessageRecord, ReadingRecord } from '../../storage/store.ts';
import type { DeviceKeyring } from '../device-keyring.ts';
import type { InboundMessage } from '../ingest-sink.ts';
import type { ReplayGuard, ReplayMark } from '../replay-guard.ts';

/** The channels whose messages are envelopes for the pipeline (`state` and `commands` are not). */
export type DataChannel = 'telemetry' | 'events' | 'acks';

/** What the receiver steps need besides the message; built once by the pipeline. */
export interface StepDeps {
  topicPrefix: string;
  keyring: Pick<DeviceKeyring, 'resolve'>;
  replay: Pick<ReplayGuard, 'load' | 'checkAndAccept' | 'settled'>;
  /** How far in the future a `ts` may be (device clock skew). */
  maxFutureSkewMs: number;
  /** A sample older than this on arrival is marked as backfill. */
  backfillAfterMs: number;
  /** Keyed hash of a delivery token: the token itself never reaches the store (DESIGN.md §5). */
  tokenHash: (token: string) => string;
  /** The gateway a device is bound to (docs/gateway.md), which may relay for it. */
  gatewayOf?: ((deviceId: string) => string | undefined) | undefined;
}

/**
 * One message on its way through the receiver steps. Each field below `now` is set by the step
 * named in its comment; the order of RECEIVER_STEPS guarantees a step only reads fields set
 * before it.
 */
export interface MessageContext {
  readonly msg: InboundMessage;
  /** The clock, read once per message. */
  readonly now: number;
  /** parseTopic */
  deviceId: string;
  channel: DataChannel;
  /** parseEnvelopeStep */
  env: Envelope;
  /** resolveDevice */
  device: DeviceRecord;
  keys: DeviceKeys;
  /** checkReplay: the seq this message took in the device's window (undefined before). */
  mark: ReplayMark | undefined;
  /** decryptBody */
  body: Buffer;
  /** parseBody: exactly one of these, by channel. */
  samples: Sample[] | undefined;
  event: DeviceEventBody | undefined;
  ack: Record<string, unknown> | undefined;
  /** buildRecords */
  readings: ReadingRecord[];
  messages: MessageRecord[];
}

/** A receiver step: throws a VigilError to refuse the message; may be async only before checkReplay. */
export type ReceiverStep = (ctx: MessageContext, deps: StepDeps) => void | Promise<void>;

export function newMessageContext(msg: InboundMessage, now: number): MessageContext {
  // Fields are filled in step by step; see MessageContext.
  return {
    msg,
    now,
    mark: undefined,
    samples: undefined,
    event: undefined,
    ack: undefined,
    readings: [],
    messages: [],
  } as unknown as MessageContext;
}
