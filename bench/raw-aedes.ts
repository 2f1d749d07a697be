import type net from 'node:net';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import { TLS_CIPHERS as CIPHERS } from '../src/net/tls-policy.ts';

export interface RawAedes {
  url: string;
  close(): Promise<void>;
}

/**
 * The W1 baseline: a bare Aedes (no hooks, in-memory persistence) behind a node:tls server with
 * the Vigil server certificate, `requestCert` + `rejectUnauthorized` against the Vigil CA. A QoS 1
 * PUBLISH is acknowledged as soon as Aedes has handed it to its (empty) subscriber set.
 */
export async function startRawAedes(material: { cert: string; key: string; ca: string }): Promise<RawAedes> {
  const aedes = new Aedes({ maxClientsIdLength: 64 });
  await aedes.listen();
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      ca: material.ca,
      cert: material.cert,
      key: material.key,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ciphers: CIPHERS,
      honorCipherOrder: true,
      noDelay: true,
    },
    (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      aedes.handle(socket);
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtts://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
