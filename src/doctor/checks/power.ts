import { type DoctorCheck, ok } from '../finding.ts';

/** The host's UPS is watched through NUT (`power.nut`), so Vigil shuts down cleanly on low battery. */
export const powerCheck: DoctorCheck = {
  name: 'power',
  async run({ config }) {
    const nut = config.power.nut;
    if (nut) return [ok('power', `UPS ${nut.ups} watched through NUT upsd at ${nut.host}:${nut.port}`)];
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
