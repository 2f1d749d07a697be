/**
 * Device profiles: what a device measures and so which telemetry body it sends
 * (src/protocol/bodies.ts). Set at provisioning, written into the device bundle.
 */
export const DEVICE_PROFILES = ['vaccine-transport', 'patient-vitals', 'temperature-probe'] as const;

export type DeviceProfile = (typeof DEVICE_PROFILES)[number];

/** True when `v` names a device profile. */
export function isDeviceProfile(v: unknown): v is DeviceProfile {
  return typeof v === 'string' && (DEVICE_PROFILES as readonly string[]).includes(v);
}
