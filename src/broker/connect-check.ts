import type { ErrorCode } from '../errors.ts';
import {
  type BrokerIdentity,
  CLAIM_CN_PREFIX,
  CLAIM_SERIAL_RE,
  identityName,
  isValidIdentity,
} from './acl.ts';
import type { BrokerLimits } from './broker-limits.ts';
import type { BrokerConn } from './broker-types.ts';
import type { DeviceLimiter } from './device-limiter.ts';
import { type PublishLike, willRefusal } from './publish-policy.ts';

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3). */
export const RC_IDENTIFIER_REJECTED = 2;
export const RC_SERVER_UNAVAILABLE = 3;
export const RC_NOT_AUTHORIZED = 5;

/** The outcome of a CONNECT: the identity, or the CONNACK code and the event to record. */
export type ConnectVerdict =
  | { ok: true; identity: BrokerIdentity; takeover: boolean }
  | {
      ok: false;
      returnCode: number;
      /** Absent for refusals that are not security events (shutdown, a failed lookup). */
      code?: ErrorCode;
      reason: string;
      detail?: Record<string, unknown>;
    };

/** What {@link checkConnect} consults. */
export interface ConnectCheckDeps {
  limits: Readonly<BrokerLimits>;
  topicPrefix: string;
  /** Canonical serials of revoked certificates. */
  revoked: ReadonlySet<string>;
  closing: boolean;
  /** Claim certificates may connect (the app handles claims, docs/protocol.md §14). */
  claims: boolean;
  limiter: DeviceLimiter;
  now: () => number;
  resolveIdentity(cn: string, certSerialHex: string): Promise<BrokerIdentity | 'disabled' | null>;
  /** True when another connected session of this identity exists (a takeover). */
  hasLiveSession(conn: BrokerConn): boolean;
}

const refuse = (
  returnCode: number,
  code: ErrorCode | undefined,
  reason: string,
  detail?: Record<string, unknown>,
): ConnectVerdict => ({
  ok: false,
  returnCode,
  ...(code ? { code } : {}),
  reason,
  ...(detail ? { detail } : {}),
});

/**
 * Decides a CONNECT (docs/protocol.md §1 and "Broker rules"), cheapest checks first. The
 * certificate is the identity: user name and password are ignored.
 */
export async function checkConnect(
  conn: BrokerConn,
  clientId: unknown,
  d: ConnectCheckDeps,
): Promise<ConnectVerdict> {
  // The client id must be the CN, compared byte for byte (ids are lowercase by DESIGN §2:
  // `DEV-0001` is another id, not a spelling of `dev-0001`). A claim certificate, shared by a
  // factory batch, connects as the device's serial instead.
  const asSerial =
    d.claims &&
    conn.cn.startsWith(CLAIM_CN_PREFIX) &&
    typeof clientId === 'string' &&
    CLAIM_SERIAL_RE.test(clientId);
  if (clientId !== conn.cn && !asSerial)
    return refuse(RC_IDENTIFIER_REJECTED, 'VIGIL_ERR_CLIENT_ID', 'client_id_mismatch');
  // The TLS layer's CRL does not see a resumed session (no chain verification) nor a CRL
  // reloaded after the handshake: the broker's own list is checked here too.
  if (d.revoked.has(conn.serial)) return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_CERT_REVOKED', 'cert_revoked');
  const keepalive = conn.keepalive ?? 0;
  if (keepalive <= 0 || keepalive > d.limits.keepAliveMaxS) {
    return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_MQTT_PROTOCOL', 'keepalive_invalid', {
      keepalive,
      keepAliveMaxS: d.limits.keepAliveMaxS,
    });
  }
  if (d.closing) return refuse(RC_SERVER_UNAVAILABLE, undefined, 'shutting_down');
  // Before the identity lookup, so a reconnect loop costs no database query.
  if (!d.limiter.connect(conn.cn, d.now())) {
    return refuse(RC_SERVER_UNAVAILABLE, 'VIGIL_ERR_RATE_LIMIT', 'connect_rate', {
      connectRatePerMinute: d.limits.connectRatePerMinute,
    });
  }
  let resolved: BrokerIdentity | 'disabled' | null;
  try {
    resolved = await d.resolveIdentity(conn.cn, conn.serial);
  } catch {
    return refuse(RC_SERVER_UNAVAILABLE, undefined, 'identity_lookup_failed');
  }
  if (!resolved) return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_IDENTITY', 'unknown_identity');
  // Named as what it is: an operator who disabled a device sees its refusals as such.
  if (resolved === 'disabled')
    return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_DEVICE_DISABLED', 'device_disabled');
  // A claim identity is bound to the serial it connected as; any other identity to its CN.
  if ((resolved.kind === 'claim') !== (clientId !== conn.cn))
    return refuse(RC_IDENTIFIER_REJECTED, 'VIGIL_ERR_CLIENT_ID', 'client_id_mismatch');
  const identity: BrokerIdentity =
    resolved.kind === 'claim' ? { ...resolved, serial: clientId as string } : resolved;
  if (!isValidIdentity(identity) || identityName(identity) !== conn.cn) {
    return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_IDENTITY', 'invalid_identity');
  }
  if (conn.will) {
    const why = willRefusal(identity, conn.will as PublishLike, d.topicPrefix);
    if (why) return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_ACL', 'will_not_allowed', { will: why });
  }
  const takeover = d.hasLiveSession(conn);
  // Two holders of one certificate kicking each other out: past the takeover rate the newcomer
  // waits (a device whose link died may still take over its half-open session at once).
  if (takeover && !d.limiter.takeover(conn.cn, d.now())) {
    return refuse(RC_SERVER_UNAVAILABLE, 'VIGIL_ERR_RATE_LIMIT', 'takeover_rate');
  }
  return { ok: true, identity, takeover };
}
