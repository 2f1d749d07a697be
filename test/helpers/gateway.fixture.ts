import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { GatewayStatus } from '../../src/gateways/gateway-registry.ts';
import type { Instance } from './instance.ts';
import { waitFor } from './instance.ts';
import { freePort, type RunningVigil, runVigil, spawnVigil } from './run-vigil.ts';

/** `vigil gateway add` through the CLI against the instance's data directory; the bundle's uplink goes to `upstreamPort`. */
export async function addGatewayCli(
  inst: Instance,
  id: string,
  devices: string[],
  out: string,
  upstreamPort: number,
) {
  const r = await runVigil(['gateway', 'add', id, '--devices', devices.join(','), '--out', out, '--json'], {
    dataDir: inst.dataDir,
  });
  if (r.code !== 0) throw new Error(`gateway add failed: ${r.stderr}`);
  const path = join(out, 'gateway.json');
  const info = JSON.parse(readFileSync(path, 'utf8'));
  writeFileSync(path, JSON.stringify({ ...info, upstream_url: `mqtts://127.0.0.1:${upstreamPort}` }));
  return JSON.parse(r.stdout) as { id: string; devices: string[]; certSerial: string };
}

/** A `vigil gateway` child process on a loopback port. */
export interface GatewayProcess {
  port: number;
  run: RunningVigil;
}

export async function spawnGateway(bundle: string, dataDir: string, port?: number): Promise<GatewayProcess> {
  const listen = port ?? (await freePort());
  const run = spawnVigil([
    'gateway',
    '--bundle',
    bundle,
    '--data-dir',
    dataDir,
    '--listen',
    String(listen),
    '--host',
    '127.0.0.1',
  ]);
  await run.waitFor(/listening on port \d+/, 30_000);
  return { port: listen, run };
}

export function killGateway(g: GatewayProcess): Promise<unknown> {
  g.run.child.kill('SIGKILL');
  return g.run.done;
}

/** Rows in the gateway's durable queue, read from its file (as after a crash). */
export function queuedEnvelopes(gatewayDataDir: string): number {
  const db = new Database(join(gatewayDataDir, 'queue.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM uplink').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Waits for the server to hold a status of the gateway that satisfies `ok`. */
export function waitGatewayStatus(
  inst: Instance,
  id: string,
  ok: (s: GatewayStatus) => boolean,
  ms = 20_000,
) {
  return waitFor(
    `gateway ${id} status`,
    () => {
      const s = inst.server.gateways.views().find((g) => g.id === id)?.status;
      return s && ok(s) ? s : undefined;
    },
    ms,
  );
}
