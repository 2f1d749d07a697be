import type { Logger } from 'pino';
import type { LiveFrameData } from '../api/ports.ts';
import { type BrokerIdentity, claimTopic } from '../broker/acl.ts';
import { commandView } from '../commands/command-view.ts';
import type { VigilContext } from '../data-dir/context.ts';
import { VigilError } from '../errors.ts';
import type { DeviceKeyring } from '../ingest/device-keyring.ts';
import type { AcceptedMessage } from '../ingest/pipeline.ts';
import { createLifecycleServices, type LifecycleServices } from '../lifecycle/lifecycle-services.ts';
import { ServerCertRenewal, type TlsListener } from '../lifecycle/server-cert-renewal.ts';
import type { LiveBus } from '../live/live-bus.ts';
import { normalizeSerial } from '../pki/index.ts';
import type { DeviceRecord } from '../storage/store.ts';

/**
 * The server's lifecycle services; VIGIL_ERR_CONFIG in a process that does not run them (the
 * `--role ingest|rules|api` parts of a split deployment: they run in `--role all` processes).
 */
export function lifecycleOf(server: { lifecycle: LifecycleServices | null }): LifecycleServices {
  if (!server.lifecycle) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      'commands and the key and certificate lifecycle run in vigil start --role all processes',
    );
  }
  return server.lifecycle;
}

/** How often the server certificate's expiry is checked. */
const SERVER_CERT_CHECK_MS = 3_600_000;

/** Commands to devices and the key and certificate lifecycle, wired into a running server. */
export interface LifecycleWiring {
  services: LifecycleServices;
  /** After each accepted (durable) message: the kid it used, a `csr` event, command acks. */
  onAccepted(ev: AcceptedMessage): void;
  /**
   * A certificate signed by our CA that is not in the registry: a claim certificate's identity,
   * or null for an identity Vigil does not know (then quarantined: listed with counts, never
   * silently dropped).
   */
  unknownCertificate(cn: string, serialHex: string): Promise<BrokerIdentity | null>;
  /** A device connected: when with a renewed certificate (its first use), it becomes the device's. */
  deviceCertificateUsed(device: DeviceRecord, certSerial: string): void;
  /** The broker (embedded, or the link to an external one) sends commands and claim replies. */
  setTransport(publish: (topic: string, payload: string, retain?: boolean) => Promise<void>): void;
  /**
   * Starts the periodic work and the server certificate renewal, hot-swapped on `listeners`; a CA
   * rollover calls `onTrustChanged` (new trust anchors for the broker, a CRL per root).
   */
  start(listeners: TlsListener[], onTrustChanged: () => Promise<void>): ServerCertRenewal;
  stop(): Promise<void>;
}

export function wireLifecycle(p: {
  ctx: VigilContext;
  bus: LiveBus<LiveFrameData>;
  keyring: DeviceKeyring;
  logger: Logger;
  /** A renewal revoked a superseded certificate: rebuild the CRL and apply it (coalesced). */
  onRevoked: () => Promise<void>;
}): LifecycleWiring {
  const { ctx, keyring, logger } = p;
  const services = createLifecycleServices(ctx, {
    onCommandChange: (c) => p.bus.publish('command', commandView(c)),
    onKeysChanged: (id) => keyring.invalidate(id),
    onRevoked: p.onRevoked,
  });
  const { commands, rotation, renewal, claims, rollover } = services;
  let certTimer: NodeJS.Timeout | undefined;
  return {
    services,
    onAccepted(ev) {
      void rotation
        .observe(ev.deviceId, ev.kid)
        .catch((err) => logger.error({ err, device: ev.deviceId }, 'key rotation update failed'));
      if (ev.channel === 'events') {
        for (const m of ev.messages) {
          if (m.body.type === 'csr' && typeof m.body.csr === 'string')
            void renewal.onCsr(ev.deviceId, m.body.csr);
        }
      }
      if (ev.channel === 'acks' && ev.messages.length > 0) {
        void commands
          .onAcks(
            ev.deviceId,
            ev.messages.map((m) => m.body),
          )
          .catch((err) => logger.error({ err, device: ev.deviceId }, 'command ack handling failed'));
      }
    },
    async unknownCertificate(cn, serialHex) {
      const claim = await claims.identityOf(cn, serialHex);
      if (claim) return claim;
      await claims.quarantine(cn, serialHex, null);
      return null;
    },
    deviceCertificateUsed(device, certSerial) {
      // A renewed certificate's first use: it becomes the device's, the old one is revoked.
      if (device.certSerial === null || normalizeSerial(device.certSerial) === certSerial) return;
      void renewal
        .onCertificateUsed(device.id, certSerial)
        .then((switched) => switched && keyring.invalidate(device.id))
        .catch((err) => logger.error({ err, device: device.id }, 'certificate switch failed'));
    },
    setTransport(publish) {
      commands.setTransport({ publish: (topic, payload) => publish(topic, payload) });
      claims.publishReply = (serial, payload, retain) =>
        publish(claimTopic(ctx.config.mqtt.topicPrefix, serial, true), payload, retain);
    },
    start(listeners, onTrustChanged) {
      services.start();
      // The server certificate is renewed before expiry and swapped on every listener in place.
      const serverCert = new ServerCertRenewal(ctx, listeners);
      certTimer = setInterval(
        () =>
          void serverCert.check().catch((err) => logger.error({ err }, 'server certificate renewal failed')),
        SERVER_CERT_CHECK_MS,
      );
      certTimer.unref();
      // A CA rollover (started here or by `vigil pki rollover`): new trust anchors and CRLs for
      // the broker, and the server certificate from the new root once every device trusts it.
      rollover.onTrustChanged = onTrustChanged;
      rollover.renewServerCert = () => serverCert.check();
      return serverCert;
    },
    async stop() {
      if (certTimer) clearInterval(certTimer);
      await services.stop();
    },
  };
}
