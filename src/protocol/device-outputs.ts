import type { DeviceProfile } from './device-profile.ts';

/**
 * Outputs a device of a profile declares (docs/protocol.md §7.4 `set_output`): an LED level
 * 0..100, a buzzer or a relay (on/off). Set through the `set_output` command; the device reports
 * the state it applied in an `output` event.
 */
export type OutputKind = 'level' | 'buzzer' | 'relay';

export interface OutputDecl {
  name: string;
  kind: OutputKind;
  /** How the dashboard names it. */
  label: string;
}

export const PROFILE_OUTPUTS: Readonly<Record<DeviceProfile, readonly OutputDecl[]>> = {
  'vaccine-transport': [{ name: 'buzzer', kind: 'buzzer', label: 'Buzzer' }],
  'patient-vitals': [{ name: 'led', kind: 'level', label: 'LED level' }],
  'temperature-probe': [{ name: 'relay', kind: 'relay', label: 'Relay' }],
};

/** Why `value` cannot be set on output `name` of `profile`, or null when it can. */
export function checkOutput(profile: DeviceProfile, name: unknown, value: unknown): string | null {
  const decl = PROFILE_OUTPUTS[profile].find((o) => o.name === name);
  if (!decl)
    return `unknown output (this profile has ${PROFILE_OUTPUTS[profile].map((o) => o.name).join(', ')})`;
  if (decl.kind === 'level')
    return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 100
      ? null
      : 'value must be an integer 0..100';
  return typeof value === 'boolean' ? null : 'value must be true or false';
}
