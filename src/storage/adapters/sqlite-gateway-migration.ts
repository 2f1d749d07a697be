import { registryTriggers } from './sqlite-ingest-migrations.ts';
import type { SqliteMigration } from './sqlite-migrations.ts';

/**
 * The gateway registry (src/gateways/gateway-store.ts, docs/gateway.md). Its tables bump the
 * registry change counter like the device tables, so that a running server sees a `vigil gateway
 * bind|unbind|revoke|remove` made by another process within `pki.crlPollMs`.
 */
export const GATEWAY_MIGRATION: SqliteMigration = {
  version: 15,
  name: 'gateways',
  sql: `
-- Gateway identities: the broker resolves a gateway certificate by its serial here.
CREATE TABLE gateways (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 3 AND 64),
  cert_serial TEXT NOT NULL UNIQUE,
  cert_pem TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Revoked gateway certificates. They stay on the CRL for good, also once the gateway is removed
-- (its id may then be used again, with a new certificate).
CREATE TABLE gateway_revocations (
  cert_serial TEXT PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  revoked_at INTEGER NOT NULL,
  reason TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Which devices a gateway relays for: a device has at most one gateway (the primary key). A
-- deleted device takes its binding with it.
CREATE TABLE gateway_devices (
  device_id TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  gateway_id TEXT NOT NULL REFERENCES gateways (id),
  bound_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX gateway_devices_gateway ON gateway_devices (gateway_id, device_id);
${registryTriggers('gateways', 'UPDATE')}
${registryTriggers('gateway_revocations', 'UPDATE')}
${registryTriggers('gateway_devices', 'UPDATE')}
`,
};
