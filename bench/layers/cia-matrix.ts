/**
 * The CIA matrix: rows are security layers, columns confidentiality, integrity, availability and
 * reliability. Each cell names the seclab scenarios the layer defeats, from a real report (each
 * scenario states the layers that stop it and the properties it threatens), and each row carries
 * the layer's measured cost.
 */
import {
  LAYERS,
  type Layer,
  PROPERTIES,
  type Property,
  type SeclabReport,
} from '../../src/seclab/seclab-types.ts';
import type { LayerRow } from './layers.ts';

export const LAYER_TITLES: Record<Layer, string> = {
  tls: 'TLS (server authentication)',
  mtls: 'mutual TLS (device certificates, CRL)',
  'hmac-replay': 'HMAC + replay guard',
  aead: 'AEAD (A256GCM / ASCON128)',
  sqlcipher: 'SQLCipher at rest',
  limits: 'rate limits and caps',
  'broker-acl': 'broker ACL (always on)',
  'api-auth': 'API authentication, RBAC, MFA, CSRF (always on)',
};

/** The evaluation row that adds each layer, and the row it is compared with. */
export const LAYER_ROWS: Partial<Record<Layer, { row: string; before: string }>> = {
  tls: { row: 'tls', before: 'plain' },
  mtls: { row: 'mtls', before: 'tls' },
  'hmac-replay': { row: 'hmac', before: 'mtls' },
  aead: { row: 'aead-gcm', before: 'hmac' },
  sqlcipher: { row: 'sqlcipher', before: 'aead-gcm' },
  limits: { row: 'limits', before: 'sqlcipher' },
};

export interface MatrixCell {
  scenarios: { id: string; verdict: string }[];
}

export interface MatrixRow {
  layer: Layer;
  cells: Record<Property, MatrixCell>;
  /** Ratios to the configuration without this layer (NaN where not measured). */
  cost: { throughput: number; cpu: number; p99: number; bytes: number; memory: number } | null;
}

const bytesOf = (r: LayerRow) => r.wire.upBytesPerReading + r.wire.downBytesPerReading;

/** Cost ratios of the layer's row against the row before it. */
export function layerCost(rows: readonly LayerRow[], layer: Layer): MatrixRow['cost'] {
  const m = LAYER_ROWS[layer];
  if (!m) return null;
  const a = rows.find((r) => r.config.id === m.row);
  const b = rows.find((r) => r.config.id === m.before);
  if (!a || !b) return null;
  return {
    throughput: a.max && b.max ? a.max.rate / b.max.rate : Number.NaN,
    cpu: a.paced.cpuMsPer1000 / b.paced.cpuMsPer1000,
    p99: a.paced.p99Ms / b.paced.p99Ms,
    bytes: bytesOf(a) / bytesOf(b),
    memory: a.memory.perConnectionKiB / b.memory.perConnectionKiB,
  };
}

export function ciaMatrix(report: SeclabReport, rows: readonly LayerRow[]): MatrixRow[] {
  return LAYERS.map((layer) => {
    const cells = Object.fromEntries(
      PROPERTIES.map((p) => [
        p,
        {
          scenarios: report.scenarios
            .filter((s) => s.layers.includes(layer) && s.properties.includes(p))
            .map((s) => ({ id: s.id, verdict: s.verdict })),
        },
      ]),
    ) as Record<Property, MatrixCell>;
    return { layer, cells, cost: layerCost(rows, layer) };
  });
}
