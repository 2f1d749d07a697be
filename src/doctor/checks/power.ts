import { type DoctorCheck, ok, rawSetting } from '../finding.ts';

/** The host's UPS is watched through NUT (`power.nut`), so Vigil shuts down cleanly on low battery. */
export const powerCheck: DoctorCheck = {
  name: 'power',
  async run({ rawConfig }) {
    const nut = rawSetting(rawConfig, 'power.nut');
    if (nut && typeof nut === 'object' && typeof (nut as { host?: unknown }).host === 'string')
      return [ok('power', `UPS watched through NUT upsd at ${(nut as { host: string }).host}`)];
    return [
      {
        check: 'power',
        severity: 'low',
        message: 'no UPS configured (power.nut): a power cut is noticed only when the host dies',
        fix: 'set power.nut {host, port, ups} in config.json for the host UPS (docs/operations.md)',
      },
    ];
  },
};
