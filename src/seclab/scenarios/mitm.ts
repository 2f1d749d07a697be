/**
 * Man in the middle, transport level: a rogue broker, an intercepting relay with a forged
 * certificate, a relay with a certificate of the right CA but the wrong purpose, and a relay that
 * flips a bit inside TLS. The device is the simulator's device code (src/sim/sim-device.ts).
 */
import { issueClientCert } from '../../pki/index.ts';
import type { DeviceBundleFiles } from '../../sim/device-bundle.ts';
import { SimDevice } from '../../sim/sim-device.ts';
import type { Lab } from '../lab.ts';
import { truckSample } from '../mqtt-tools.ts';
import {
  forgedServerCert,
  type Rogue,
  startFlippingRelay,
  startInterceptingRelay,
  startRogueBroker,
} from '../rogue-servers.ts';
import { errorOutcome, QUICK_AND_FULL, refusedIf, type Scenario } from '../scenario.ts';
import { simSend } from '../sim-send.ts';

/** Points the device at `url` and says whether it connected and why not. */
async function deviceAgainst(
  b: DeviceBundleFiles,
  url: string,
): Promise<{ connected: boolean; error: string }> {
  const d = new SimDevice(b, { brokerUrl: url, failFast: true });
  try {
    await d.connect();
    d.send('telemetry', { samples: [truckSample()] });
    await new Promise((r) => setTimeout(r, 500));
    return { connected: true, error: '' };
  } catch (err) {
    // Node appends advice about system CAs to verification errors: the first clause is the reason.
    return {
      connected: false,
      error: ((err as Error).message.split('; if the root CA')[0] ?? '').slice(0, 200),
    };
  } finally {
    await d.close().catch(() => {});
  }
}

function seen(r: Rogue): string {
  return `the attacker's server: ${r.handshakes} TLS handshakes completed, ${r.connects} MQTT CONNECTs, ${r.bytesFromDevice} application bytes from the device`;
}

function mitm(
  s: Omit<Scenario, 'family' | 'modes' | 'timeoutMs' | 'run'> & {
    timeoutMs?: number;
    go: (lab: Lab) => ReturnType<Scenario['run']>;
  },
): Scenario {
  const { go, ...rest } = s;
  return {
    family: 'mitm',
    modes: QUICK_AND_FULL,
    timeoutMs: 60_000,
    ...rest,
    run: async (ctx) => {
      try {
        return await go(ctx.lab);
      } catch (err) {
        return errorOutcome(err);
      }
    },
  };
}

const rogueBroker = mitm({
  id: 'mitm.rogue-broker',
  title: 'A rogue broker with a certificate from another CA',
  attacked:
    "the device's trust: a broker on the device's path presenting a certificate for localhost and 127.0.0.1 from the attacker's own CA",
  expected:
    'the device refuses the handshake (unknown CA); the rogue broker gets no CONNECT and no byte of data',
  layers: ['tls'],
  properties: ['confidentiality', 'integrity'],
  go: async (lab) => {
    const device = await lab.device('mitm-rogue');
    const rogue = await startRogueBroker(await forgedServerCert());
    try {
      const r = await deviceAgainst(device, `mqtts://127.0.0.1:${rogue.port}`);
      const ok = !r.connected && rogue.handshakes === 0 && rogue.connects === 0;
      return refusedIf(ok, ok ? `the device refused: ${r.error}` : 'the device talked to the rogue broker', [
        `device: ${r.connected ? 'CONNECTED' : `refused (${r.error})`}`,
        seen(rogue),
      ]);
    } finally {
      await rogue.close();
    }
  },
});

const forgedRelay = mitm({
  id: 'mitm.forged-relay',
  title: 'A TLS-intercepting relay with a forged certificate for the right host name',
  attacked:
    "confidentiality and integrity: a relay terminating the device's TLS with a forged localhost certificate and forwarding to the real broker",
  expected: 'the device refuses the handshake; nothing reaches the relay or the broker',
  layers: ['tls'],
  properties: ['confidentiality', 'integrity'],
  go: async (lab) => {
    const device = await lab.device('mitm-relay');
    const relay = await startInterceptingRelay(await forgedServerCert(), {
      port: lab.target.mqttPort,
      ca: lab.target.caPem,
    });
    try {
      const r = await deviceAgainst(device, `mqtts://localhost:${relay.port}`);
      const ok = !r.connected && relay.handshakes === 0 && relay.bytesFromDevice === 0;
      return refusedIf(ok, ok ? `the device refused: ${r.error}` : 'the device talked through the relay', [
        `device (broker URL mqtts://localhost:${relay.port}): ${r.connected ? 'CONNECTED' : `refused (${r.error})`}`,
        seen(relay),
      ]);
    } finally {
      await relay.close();
    }
  },
});

const wrongPurpose = mitm({
  id: 'mitm.client-cert-as-server',
  title: "A relay presenting a certificate of Vigil's own CA, issued for a client named like the broker host",
  attacked:
    'the device\'s host name and purpose checks: a client certificate from the real CA with CN "localhost" (as an attacker holding a device certificate named like the broker host would have), used as a server certificate',
  expected:
    'the device refuses it: a client certificate (extended key usage clientAuth) is not a server certificate',
  layers: ['tls'],
  properties: ['confidentiality', 'integrity'],
  go: async (lab) => {
    const device = await lab.device('mitm-purpose');
    // Issued in memory by the real CA, never registered: the attacker's stolen-or-obtained certificate.
    const issued = await issueClientCert({
      ca: lab.target.ctx.ca,
      commonName: 'localhost',
      kind: 'device',
      validityDays: 1,
      now: new Date(),
    });
    const relay = await startInterceptingRelay(
      { cert: issued.certPem, key: issued.keyPkcs8Pem ?? '' },
      { port: lab.target.mqttPort, ca: lab.target.caPem },
    );
    try {
      const r = await deviceAgainst(device, `mqtts://localhost:${relay.port}`);
      const ok = !r.connected && relay.handshakes === 0 && relay.bytesFromDevice === 0;
      return refusedIf(
        ok,
        ok ? `the device refused: ${r.error}` : 'the device accepted a client certificate as its broker',
        [
          `device (broker URL mqtts://localhost:${relay.port}): ${r.connected ? 'CONNECTED' : `refused (${r.error})`}`,
          seen(relay),
        ],
      );
    } finally {
      await relay.close();
    }
  },
});

const tlsFlip = mitm({
  id: 'mitm.tls-bitflip',
  title: 'An on-path relay flipping one bit inside a TLS record',
  attacked:
    "integrity on the wire: a TCP relay between the device and the broker flips a bit in the TLS record carrying the device's reading",
  expected:
    'TLS detects it (bad record MAC) and drops the connection; the device reconnects and redelivers; the stored reading is the original, once',
  layers: ['tls'],
  properties: ['integrity', 'reliability'],
  timeoutMs: 90_000,
  go: async (lab) => {
    const device = await lab.device('mitm-flip');
    const relay = await startFlippingRelay(lab.target.mqttPort);
    try {
      const temp = -33.3333;
      let sendError = '';
      await simSend(
        device,
        `mqtts://127.0.0.1:${relay.port}`,
        [{ channel: 'telemetry', body: { samples: [truckSample(Date.now(), temp)] } }],
        30_000,
      ).catch((e: Error) => {
        sendError = e.message;
      });
      const rows = await lab.target.ctx.store.queryReadings({ deviceId: device.info.id, since: 0 });
      const intact = rows.filter((r) => r.data.temp_c === temp).length;
      const ok =
        relay.state.flipped === 1 && relay.state.closedAfterFlip === 1 && rows.length === 1 && intact === 1;
      const evidence = [
        `relay: ${relay.state.flipped} bit flipped, ${relay.state.connections} connections, the flipped one ${relay.state.closedAfterFlip ? 'was torn down' : 'stayed up'}`,
        `device: ${sendError ? `gave up (${sendError})` : 'reading acknowledged after reconnecting'}`,
        `stored: ${rows.length} reading(s), ${intact} with the original temperature`,
      ];
      if (relay.state.flipped === 0)
        return { verdict: 'error', observed: 'the relay found no record to flip', evidence };
      return refusedIf(
        ok,
        ok
          ? 'the flipped record was refused by TLS; the reading arrived intact, once'
          : 'a corrupted or duplicated reading was stored',
        evidence,
      );
    } finally {
      await relay.close();
    }
  },
});

export const MITM_TRANSPORT_SCENARIOS: Scenario[] = [rogueBroker, forgedRelay, wrongPurpose, tlsFlip];
