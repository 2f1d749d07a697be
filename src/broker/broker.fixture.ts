/**
 * Test helpers for the broker tests: a recording ingest sink and MQTT/TLS client helpers.
 * Not used in production code.
 */
import tls from 'node:tls';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { VigilError } from '../errors.ts';
import type { InboundMessage, IngestResult, IngestSink } from '../ingest/ingest-sink.ts';
import type { TestPki } from '../pki/test-pki.fixture.ts';
import { DEFAULT_TOPIC_PREFIX, parseDeviceTopic } from '../protocol/topics.ts';
import type { BrokerIdentity } from './acl.ts';
import type { BrokerLimits } from './broker-limits.ts';
import type { BrokerSecurityEvent } from './broker-types.ts';
import { EmbeddedBroker } from './embedded-broker.ts';

/** What the fake sink does with one message. */
export type FakeOutcome = 'ok' | 'reject' | 'throw';

/** An IngestSink that records what it gets; its answer and timing are set by the test. */
export class FakeSink implements IngestSink {
  /** Every call, in order. */
  calls: InboundMessage[] = [];
  /** Accepted messages. */
  accepted: InboundMessage[] = [];
  /** While set, `ingest` waits for it before answering. */
  gate: Promise<void> | null = null;
  outcome: (msg: InboundMessage) => FakeOutcome = () => 'ok';
  #seq = 0;

  async ingest(msg: InboundMessage): Promise<IngestResult> {
    this.calls.push(msg);
    if (this.gate) await this.gate;
    const o = this.outcome(msg);
    if (o === 'throw') throw new VigilError('VIGIL_ERR_STORE', 'fake storage failure');
    const t = parseDeviceTopic(DEFAULT_TOPIC_PREFIX, msg.topic);
    if (o === 'reject') return { ok: false, code: 'VIGIL_ERR_MAC_INVALID' };
    this.accepted.push(msg);
    return { ok: true, deviceId: t?.deviceId ?? '?', channel: t?.channel ?? '?', seq: ++this.#seq };
  }

  /** Payloads (utf8) of accepted messages. */
  acceptedPayloads(): string[] {
    return this.accepted.map((m) => m.payload.toString());
  }
}

/** A promise with its resolve function exposed. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `pred` every 20 ms until true; throws after `timeoutMs`. */
export async function waitUntil(pred: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Certificate and key of a test client. */
export interface ClientCert {
  certPem: string;
  keyPkcs8Pem: string;
}

/** Outcome of {@link tryConnect}. */
export interface ConnectOutcome {
  client: MqttClient;
  connected: boolean;
  sessionPresent?: boolean;
  /** Error code the client saw (CONNACK return code as a number, or a TLS/socket code). */
  errorCode?: string | number;
  errorMessage?: string;
}

/** Connects an MQTT.js client (no reconnect); resolves on CONNACK or on the first error/close. */
export function tryConnect(
  port: number,
  ca: string,
  cert: ClientCert | null,
  opts: IClientOptions & { clientId: string },
): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const client = connect(`mqtts://127.0.0.1:${port}`, {
      ca,
      ...(cert ? { cert: cert.certPem, key: cert.keyPkcs8Pem } : {}),
      protocolVersion: 4,
      reconnectPeriod: 0,
      keepalive: 30,
      connectTimeout: 5000,
      ...opts,
    });
    let settled = false;
    const out: ConnectOutcome = { client, connected: false };
    const finish = () => {
      if (settled) return;
      settled = true;
      resolve(out);
    };
    client.once('connect', (connack) => {
      out.connected = true;
      out.sessionPresent = connack.sessionPresent;
      finish();
    });
    client.on('error', (err) => {
      const e = err as Error & { code?: string | number };
      if (out.errorCode === undefined) {
        out.errorCode = e.code;
        out.errorMessage = e.message;
      }
      client.end(true);
      finish();
    });
    client.once('close', () => {
      client.end(true);
      finish();
    });
  });
}

/** Opens a raw TLS connection to the broker (for hand-made MQTT bytes). */
export function rawTls(port: number, ca: string, cert: ClientCert): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, cert: cert.certPem, key: cert.keyPkcs8Pem });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the socket has closed (or rejects after `timeoutMs`). */
export function closedWithin(socket: tls.TLSSocket, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    if (socket.destroyed && socket.closed) return resolve(0);
    const timer = setTimeout(() => reject(new Error('socket still open')), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

/** Options of {@link startTestBroker}. */
export interface TestBrokerOptions {
  pki: TestPki;
  registry: Map<string, BrokerIdentity | 'disabled'>;
  sink?: IngestSink;
  limits?: Partial<BrokerLimits>;
  crl?: string;
  now?: () => number;
  /** TLS offload workers (`mqtt.listenerWorkers`); default 0. */
  listenerWorkers?: number;
  logger?: Logger;
}

/** An embedded broker on 127.0.0.1 (port 0) whose security events land in `events`. */
export async function startTestBroker(o: TestBrokerOptions): Promise<{
  broker: EmbeddedBroker;
  port: number;
  events: BrokerSecurityEvent[];
}> {
  const events: BrokerSecurityEvent[] = [];
  const broker = new EmbeddedBroker({
    host: '127.0.0.1',
    port: 0,
    listenerWorkers: o.listenerWorkers ?? 0,
    ...(o.logger ? { logger: o.logger } : {}),
    tls: {
      ca: o.pki.certPem,
      cert: o.pki.server.certPem,
      key: o.pki.server.keyPkcs8Pem,
      ...(o.crl ? { crl: o.crl } : {}),
    },
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.now ? { now: o.now } : {}),
    sink: o.sink ?? new FakeSink(),
    resolveIdentity: async (cn) => o.registry.get(cn) ?? null,
    onSecurityEvent: (ev) => events.push(ev),
  });
  return { broker, port: await broker.start(), events };
}
