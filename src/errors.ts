/**
 * Every Vigil error code in one catalogue, with the HTTP status an API would answer with.
 * A client is told only the generic `message`; logs, counters and the audit log carry the code.
 * No message may contain a secret, a token or a decrypted payload.
 */
export const ERRORS = {
  // envelope / ingest rejections (the counter label is the code without the prefix, lowercased)
  VIGIL_ERR_ENVELOPE_SIZE: { status: 413, message: 'envelope too large' },
  VIGIL_ERR_ENVELOPE_SCHEMA: { status: 400, message: 'malformed envelope' },
  VIGIL_ERR_TOPIC: { status: 400, message: 'topic does not match the envelope' },
  VIGIL_ERR_UNKNOWN_DEVICE: { status: 403, message: 'unknown device' },
  VIGIL_ERR_DEVICE_DISABLED: { status: 403, message: 'device disabled' },
  VIGIL_ERR_UNKNOWN_KID: { status: 403, message: 'unknown key generation' },
  VIGIL_ERR_ALG_MISMATCH: { status: 403, message: 'algorithm not provisioned for this device' },
  VIGIL_ERR_MAC_INVALID: { status: 401, message: 'message authentication failed' },
  VIGIL_ERR_REPLAY: { status: 409, message: 'replayed message' },
  VIGIL_ERR_REPLAY_TOO_OLD: { status: 409, message: 'sequence number outside the replay window' },
  VIGIL_ERR_NONCE_REUSE: { status: 409, message: 'nonce reused' },
  VIGIL_ERR_TS_FUTURE: { status: 400, message: 'timestamp too far in the future' },
  VIGIL_ERR_DECRYPT: { status: 400, message: 'decryption failed' },
  VIGIL_ERR_BODY_SCHEMA: { status: 422, message: 'invalid message body' },
  VIGIL_ERR_CLEARTEXT_SECRET: { status: 422, message: 'a secret-bearing event must be encrypted' },
  VIGIL_ERR_STORE: { status: 503, message: 'storage unavailable' },
  // broker
  VIGIL_ERR_ACL: { status: 403, message: 'not authorised' },
  VIGIL_ERR_CLIENT_ID: { status: 403, message: 'client id does not match certificate' },
  VIGIL_ERR_CERT_REVOKED: { status: 403, message: 'certificate revoked' },
  VIGIL_ERR_RATE_LIMIT: { status: 429, message: 'rate limit exceeded' },
  VIGIL_ERR_PACKET_SIZE: { status: 413, message: 'packet too large' },
  // CLI / config / registry
  VIGIL_ERR_CONFIG: { status: 500, message: 'invalid configuration' },
  VIGIL_ERR_DEVICE_ID: { status: 400, message: 'invalid device id' },
  VIGIL_ERR_DEVICE_EXISTS: { status: 409, message: 'device already exists' },
  VIGIL_ERR_DEVICE_IN_USE: { status: 409, message: 'device has delivered data' },
  VIGIL_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  VIGIL_ERR_USAGE: { status: 400, message: 'invalid usage' },
  VIGIL_ERR_MASTER_KEY: { status: 500, message: 'master key unavailable or wrong' },
  VIGIL_ERR_DATA_DIR: { status: 500, message: 'data directory unusable' },
  VIGIL_ERR_NO_DATA_DIR: { status: 404, message: 'not a Vigil data directory' },
  VIGIL_ERR_PORT_IN_USE: { status: 500, message: 'port already in use' },
  VIGIL_ERR_LISTEN: { status: 500, message: 'cannot listen' },
  VIGIL_ERR_NOT_CONFIRMED: { status: 400, message: 'not confirmed' },
  VIGIL_ERR_PKI: { status: 500, message: 'PKI operation failed' },
  // storage
  VIGIL_ERR_KEY_EXISTS: { status: 409, message: 'key generation already exists' },
  VIGIL_ERR_CERT_EXISTS: { status: 409, message: 'certificate already exists' },
  VIGIL_ERR_SCHEMA_VERSION: { status: 500, message: 'database schema is newer than this version of Vigil' },
  // broker (connection refusals)
  VIGIL_ERR_TLS_AUTH: { status: 401, message: 'client certificate refused' },
  VIGIL_ERR_IDENTITY: { status: 403, message: 'unknown or disabled identity' },
  VIGIL_ERR_CONNECTION_LIMIT: { status: 503, message: 'too many connections' },
  VIGIL_ERR_MQTT_PROTOCOL: { status: 400, message: 'MQTT protocol violation' },
  // accounts, sessions, MFA (src/auth; VIGIL_ERR_AUTH, _FORBIDDEN, _MFA_REQUIRED are below)
  VIGIL_ERR_PASSWORD_POLICY: { status: 400, message: 'password does not meet the policy' },
  VIGIL_ERR_LOCKED: { status: 429, message: 'too many failed attempts, try again later' },
  VIGIL_ERR_SESSION: { status: 401, message: 'session invalid or expired' },
  VIGIL_ERR_TOTP: { status: 401, message: 'invalid second factor code' },
  VIGIL_ERR_USER_NAME: { status: 400, message: 'invalid user name' },
  VIGIL_ERR_USER_EXISTS: { status: 409, message: 'user already exists' },
  // HTTP API (src/api): auth outcomes are shared with src/auth
  VIGIL_ERR_AUTH: { status: 401, message: 'authentication required' },
  VIGIL_ERR_FORBIDDEN: { status: 403, message: 'not permitted' },
  VIGIL_ERR_MFA_REQUIRED: { status: 403, message: 'multi-factor authentication required' },
  VIGIL_ERR_CSRF: { status: 403, message: 'cross-site request refused' },
  VIGIL_ERR_VALIDATION: { status: 400, message: 'invalid request' },
  VIGIL_ERR_BAD_REQUEST: { status: 400, message: 'bad request' },
  VIGIL_ERR_MALFORMED_BODY: { status: 400, message: 'malformed request body' },
  VIGIL_ERR_BODY_TOO_LARGE: { status: 413, message: 'request body too large' },
  VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported media type' },
  VIGIL_ERR_INTERNAL: { status: 500, message: 'internal error' },
  VIGIL_ERR_UNAVAILABLE: { status: 503, message: 'service unavailable' },
  // cold chain and rules (src/coldchain, src/rules)
  VIGIL_ERR_PROFILE: { status: 400, message: 'invalid temperature profile' },
  // alarms and live feed (src/alarms, src/api/routes/live.ts)
  VIGIL_ERR_ALREADY_ACKNOWLEDGED: { status: 409, message: 'alarm already acknowledged' },
  VIGIL_ERR_UPGRADE_REQUIRED: { status: 426, message: 'this endpoint is a WebSocket' },
  // shipments and chain of custody (src/shipments)
  VIGIL_ERR_SHIPMENT_EXISTS: { status: 409, message: 'shipment already exists' },
  VIGIL_ERR_SHIPMENT_STATE: { status: 409, message: 'not allowed in the shipment state' },
  VIGIL_ERR_DELIVERY_TOKEN: { status: 403, message: 'delivery token does not match' },
  // commands and key/certificate lifecycle (src/commands, src/lifecycle)
  VIGIL_ERR_COMMAND_EXISTS: { status: 409, message: 'command already exists' },
  VIGIL_ERR_COMMAND_INVALID: { status: 400, message: 'invalid command' },
  VIGIL_ERR_FIRMWARE_EXISTS: { status: 409, message: 'firmware version already uploaded' },
  VIGIL_ERR_FIRMWARE_INVALID: { status: 422, message: 'firmware refused' },
  VIGIL_ERR_CAMPAIGN_STATE: { status: 409, message: 'campaign cannot do that in its state' },
  VIGIL_ERR_DEVICE_STATE: { status: 409, message: 'not allowed in the device state' },
  VIGIL_ERR_ROTATION_PENDING: { status: 409, message: 'a key rotation is already in progress' },
  VIGIL_ERR_CSR_INVALID: { status: 400, message: 'certificate signing request refused' },
  VIGIL_ERR_CLAIM_STATE: { status: 409, message: 'not allowed in the claim state' },
  VIGIL_ERR_GATEWAY_STATE: { status: 409, message: 'not allowed in the gateway state' },
  VIGIL_ERR_GATEWAY_QUEUE_FULL: { status: 503, message: 'gateway queue full' },
  // continuity (src/backup, src/power, src/continuity)
  VIGIL_ERR_BACKUP_INVALID: {
    status: 422,
    message: 'backup damaged, truncated or not signed by this installation',
  },
  VIGIL_ERR_BACKUP_IDENTITY: { status: 401, message: 'backup identity cannot decrypt this backup' },
  VIGIL_ERR_BACKUP_NOT_CONFIGURED: { status: 409, message: 'backups are not initialised' },
  VIGIL_ERR_TARGET_NOT_EMPTY: { status: 409, message: 'target directory is not empty' },
  VIGIL_ERR_DISK_FULL: { status: 507, message: 'storage full' },
  VIGIL_ERR_UPS: { status: 502, message: 'UPS unreachable or not understood' },
  // sinks (src/sinks): readings forwarded to InfluxDB and webhooks
  VIGIL_ERR_SINK_UNAVAILABLE: { status: 503, message: 'sink target unavailable' },
  VIGIL_ERR_SINK_REFUSED: { status: 502, message: 'sink target refused the batch' },
  // notifications and webhooks (src/notifications, src/webhooks: the notification webhook channel
  // and the webhook sink sign alike)
  VIGIL_ERR_NOTIFY_NOT_CONFIGURED: { status: 409, message: 'notification channel not configured' },
  VIGIL_ERR_NOTIFY_IN_USE: { status: 409, message: 'still used by a routing rule, group or schedule' },
  VIGIL_ERR_WEBHOOK_SIGNATURE: { status: 401, message: 'webhook signature invalid' },
  // security lab (src/seclab)
  VIGIL_ERR_SECLAB_RUNNING: { status: 409, message: 'a seclab run is already in progress' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** An expected failure with a catalogued code. `detail` is for logs only and must hold no secret. */
export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  constructor(code: ErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message, options);
    this.name = 'VigilError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detail = detail;
  }
}

export function isVigilError(err: unknown, code?: ErrorCode): err is VigilError {
  return err instanceof VigilError && (code === undefined || err.code === code);
}

/** Short counter label for a rejection code: VIGIL_ERR_MAC_INVALID -> mac_invalid. */
export function reasonLabel(code: ErrorCode): string {
  return code.slice('VIGIL_ERR_'.length).toLowerCase();
}
