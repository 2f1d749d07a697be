import net from 'node:net';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import { createCa, issueServerCert } from '../pki/index.ts';
import { TLS_SERVER_OPTIONS } from '../pki/tls-policy.ts';

/** A server an attacker runs on loopback, and what it saw. */
export interface Rogue {
  port: number;
  /** TLS handshakes that completed (the device trusted the attacker's certificate). */
  handshakes: number;
  /** MQTT CONNECTs received (credentials and identity handed to the attacker). */
  connects: number;
  /** Application bytes the device sent after a handshake. */
  bytesFromDevice: number;
  close(): Promise<void>;
}

/** A server certificate for localhost / 127.0.0.1 / ::1 from a CA the attacker made. */
export async function forgedServerCert(): Promise<{ cert: string; key: string; ca: string }> {
  const now = new Date();
  const ca = await createCa({ commonName: 'Vigil Root CA', now });
  const leaf = await issueServerCert({ ca, hostNames: [], ips: [], now });
  return { cert: leaf.certPem, key: leaf.keyPkcs8Pem ?? '', ca: ca.certPem };
}

/** Listens on 127.0.0.1 and ::1 on one port (a device resolving `localhost` may pick either). */
async function listenLoopback(make: () => net.Server): Promise<{ port: number; servers: net.Server[] }> {
  const v4 = make();
  await new Promise<void>((resolve, reject) => {
    v4.once('error', reject);
    v4.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const port = (v4.address() as net.AddressInfo).port;
  const servers = [v4];
  const v6 = make();
  await new Promise<void>((resolve) => {
    // No IPv6 loopback here: the IPv4 listener alone is enough.
    v6.once('error', () => resolve());
    v6.listen({ host: '::1', port, ipv6Only: true }, () => {
      servers.push(v6);
      resolve();
    });
  });
  return { port, servers };
}

function closeAll(servers: net.Server[], sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined);
}

/**
 * A rogue MQTT broker (a bare Aedes) behind TLS with `material`: it would accept any CONNECT and
 * PUBLISH. What it counts shows whether a device trusted it.
 */
export async function startRogueBroker(material: { cert: string; key: string }): Promise<Rogue> {
  const aedes = new Aedes();
  await aedes.listen();
  const sockets = new Set<net.Socket>();
  const r: Rogue = { port: 0, handshakes: 0, connects: 0, bytesFromDevice: 0, close: async () => {} };
  aedes.on('client', () => {
    r.connects++;
  });
  const { port, servers } = await listenLoopback(() => {
    const s = tls.createServer(
      { cert: material.cert, key: material.key, ...TLS_SERVER_OPTIONS },
      (socket) => {
        r.handshakes++;
        sockets.add(socket);
        socket.on('data', (d: Buffer) => {
          r.bytesFromDevice += d.length;
        });
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {});
        aedes.handle(socket);
      },
    );
    s.on('tlsClientError', () => {});
    return s;
  });
  r.port = port;
  r.close = async () => {
    await closeAll(servers, sockets);
    await new Promise<void>((res) => aedes.close(() => res()));
  };
  return r;
}

/**
 * A TLS-intercepting relay: terminates the device's TLS with `material` and would forward the
 * plaintext to the real broker (as a client without the device's key, which is all it can be).
 */
export async function startInterceptingRelay(
  material: { cert: string; key: string },
  upstream: { port: number; ca: string },
): Promise<Rogue> {
  const sockets = new Set<net.Socket>();
  const r: Rogue = { port: 0, handshakes: 0, connects: 0, bytesFromDevice: 0, close: async () => {} };
  const { port, servers } = await listenLoopback(() => {
    const s = tls.createServer(
      { cert: material.cert, key: material.key, ...TLS_SERVER_OPTIONS },
      (socket) => {
        r.handshakes++;
        sockets.add(socket);
        const up = tls.connect({
          host: '127.0.0.1',
          port: upstream.port,
          ca: upstream.ca,
          servername: 'localhost',
        });
        sockets.add(up);
        socket.on('data', (d: Buffer) => {
          // The first byte of an MQTT CONNECT is 0x10.
          if (r.bytesFromDevice === 0 && d[0] === 0x10) r.connects++;
          r.bytesFromDevice += d.length;
          up.write(d);
        });
        up.on('data', (d: Buffer) => socket.write(d));
        for (const x of [socket, up]) {
          x.on('error', () => {});
          x.on('close', () => {
            sockets.delete(x);
            socket.destroy();
            up.destroy();
          });
        }
      },
    );
    s.on('tlsClientError', () => {});
    return s;
  });
  r.port = port;
  r.close = () => closeAll(servers, sockets);
  return r;
}

/**
 * A plain TCP relay in front of the real broker that flips one bit in the first TLS application
 * record of at least `minRecord` bytes the client sends after a short one (so after the
 * handshake: a PUBLISH with an envelope). Says when it flipped and when the connection died.
 */
export async function startFlippingRelay(upstreamPort: number, minRecord = 300) {
  const sockets = new Set<net.Socket>();
  const state = { flipped: 0, closedAfterFlip: 0, connections: 0 };
  const { port, servers } = await listenLoopback(() =>
    net.createServer((client) => {
      state.connections++;
      const up = net.connect(upstreamPort, '127.0.0.1');
      sockets.add(client);
      sockets.add(up);
      let buf = Buffer.alloc(0);
      let sawSmall = false;
      let flippedHere = false;
      client.on('data', (d: Buffer) => {
        // Reassemble TLS records (RFC 8446 §5.1: type, version, 2-byte length) to pick one.
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 5) {
          const len = buf.readUInt16BE(3);
          if (buf.length < 5 + len) break;
          const rec = Buffer.from(buf.subarray(0, 5 + len));
          buf = buf.subarray(5 + len);
          if (rec[0] === 23) {
            if (len < 120) sawSmall = true;
            else if (sawSmall && len >= minRecord && state.flipped === 0) {
              const at = 5 + Math.floor(len / 2);
              rec[at] = (rec[at] ?? 0) ^ 0x01;
              state.flipped++;
              flippedHere = true;
            }
          }
          up.write(rec);
        }
      });
      up.on('data', (d: Buffer) => client.write(d));
      for (const x of [client, up]) {
        x.on('error', () => {});
        x.on('close', () => {
          sockets.delete(x);
          if (x === client && flippedHere) state.closedAfterFlip++;
          client.destroy();
          up.destroy();
        });
      }
    }),
  );
  return { port, state, close: () => closeAll(servers, sockets) };
}
