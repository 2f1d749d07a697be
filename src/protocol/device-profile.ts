/**
 * Device profiles: what a device measures and so which telemetry body it sends
 * (src/protocol/bodies.ts). Set at provisioning, written into the device bundle.
 */
export const DEVICE_PROFILES = ['vaccine-transport', 'patient-vitals', 'temperature-probe'] as const;

export type DeviceProfile = (typeof DEVICE_PROFILES)[number];

/** True when `v` names a device profile (`includes` compares with SameValueZero: only the strings match). */
export function isDeviceProfile(v: unknown): v is DeviceProfile {
  return (DEVICE_PROFILES as readonly unknown[]).includes(v);
}
