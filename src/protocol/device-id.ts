/**
 * The device id (DESIGN §2): the certificate CN, the MQTT client id and username, the `dev` of
 * every envelope and a segment of every device topic. Backend service names follow the same rule.
 * 3 to 64 characters: lowercase letters, digits and dashes, not starting with a dash (so never
 * `+`, `#`, `/`, `$` or NUL: safe in topics and ACLs).
 */
export const DEVICE_ID_RE = /^[a-z0-9][a-z0-9-]{2,63}$/;

/** The rule in words, for error messages. */
export const DEVICE_ID_RULE = `must match ${DEVICE_ID_RE.source} (lowercase letters, digits, dashes; 3-64 chars)`;

/** True when `v` is a valid device id (or service name). */
export function isDeviceId(v: unknown): v is string {
  return typeof v === 'string' && DEVICE_ID_RE.test(v);
}
