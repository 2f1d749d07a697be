import { commandView } from '../../commands/command-view.ts';
import {
  addDevice,
  checkDeviceId,
  requireDevice,
  revokeDevice,
  setDeviceEnabled,
} from '../../devices/device-service.ts';
import { deviceLifecycle } from '../../lifecycle/fleet-lifecycle.ts';
import { createLifecycleServices, lifecycleSources } from '../../lifecycle/lifecycle-services.ts';
import { ALGS, type Alg } from '../../protocol/aead.ts';
import { DEVICE_PROFILES, isDeviceProfile } from '../../protocol/device-profile.ts';
import type { DeviceRecord } from '../../storage/store.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, usage } from '../io.ts';

const HELP = `usage:
  vigil device add ID --profile vaccine-transport|patient-vitals|temperature-probe [--out DIR] [--alg A256GCM|ASCON128|none]
  vigil device list [--json]
  vigil device show ID [--json]
  vigil device disable|enable|revoke ID
  vigil device rotate-key ID [--reason TEXT] [--json]   next secret (kid N+1) by ECDH with the device's key`;

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function row(d: DeviceRecord): string {
  return [
    d.id.padEnd(24),
    d.profile.padEnd(18),
    d.status.padEnd(9),
    d.alg.padEnd(9),
    `kid ${d.currentKid}`.padEnd(7),
    iso(d.lastSeenAt),
  ].join(' ');
}

export async function deviceCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommand(rest, {
    profile: { type: 'string' },
    out: { type: 'string' },
    alg: { type: 'string' },
    json: { type: 'boolean', default: false },
    reason: { type: 'string' },
  });
  if (!sub || sub === 'help' || sub === '--help') {
    io.out(HELP);
    return sub ? 0 : 2;
  }
  const id = positionals[0] ?? '';
  // Validate before opening (and possibly creating) the data directory: bad input changes nothing.
  if (sub !== 'list') {
    if (!id) usage(`device id required\n${HELP}`);
    checkDeviceId(id);
  }
  if (sub === 'add') {
    if (!values.profile) usage(`--profile is required\n${HELP}`);
    if (!isDeviceProfile(values.profile)) usage(`--profile must be one of ${DEVICE_PROFILES.join(', ')}`);
    if (values.alg && !(ALGS as readonly string[]).includes(values.alg))
      usage(`--alg must be one of ${ALGS.join(', ')}`);
  }
  return withDataDir(values['data-dir'], async (ctx) => {
    switch (sub) {
      case 'add': {
        if (!id) usage(`device id required\n${HELP}`);
        if (!values.profile) usage(`--profile is required\n${HELP}`);
        const b = await addDevice(ctx, {
          id,
          profile: values.profile as string,
          alg: values.alg as Alg | undefined,
          outDir: values.out,
          actor: 'cli',
        });
        if (values.json) io.out(JSON.stringify({ device: b.device, bundle: b.dir, files: b.files }));
        else {
          io.out(
            `device ${id} added (${b.device.profile}, ${b.device.alg}, kid 1, certificate ${b.device.certSerial})`,
          );
          io.out(`bundle written to ${b.dir}: ${b.files.join(', ')}`);
          io.out(
            'device.key, device.json and vigil_device_config.h hold secrets: flash them, keep them out of version control.',
          );
        }
        return 0;
      }
      case 'list': {
        const devices = await ctx.store.listDevices();
        if (values.json) for (const d of devices) io.out(JSON.stringify(d));
        else {
          io.out(
            `${'ID'.padEnd(24)} ${'PROFILE'.padEnd(18)} ${'STATUS'.padEnd(9)} ${'ALG'.padEnd(9)} ${'KEY'.padEnd(7)} LAST SEEN`,
          );
          for (const d of devices) io.out(row(d));
          io.out(`${devices.length} device(s)`);
        }
        return 0;
      }
      case 'show': {
        const d = await requireDevice(ctx, id);
        const certs = await ctx.store.listCertificates({ subject: id, kind: 'device' });
        const keys = (await ctx.store.listDeviceKeys(id)).map((k) => ({
          kid: k.kid,
          status: k.status,
          createdAt: k.createdAt,
        }));
        const readings = await ctx.store.countReadings(id);
        const lifecycle = await deviceLifecycle(lifecycleSources(ctx), id);
        const view = {
          ...d,
          readings,
          lastRotation: lifecycle?.lastRotation
            ? {
                ...lifecycle.lastRotation,
                startedAt: isoOrNull(lifecycle.lastRotation.startedAt),
                ackedAt: isoOrNull(lifecycle.lastRotation.ackedAt),
                completedAt: isoOrNull(lifecycle.lastRotation.completedAt),
              }
            : null,
          pendingCommands: lifecycle?.pendingCommands ?? 0,
          keys,
          certificates: certs.map((c) => ({
            serial: c.serial,
            notBefore: c.notBefore,
            notAfter: c.notAfter,
            revokedAt: c.revokedAt,
          })),
        };
        if (values.json) io.out(JSON.stringify(view));
        else {
          io.out(
            `device     ${d.id}\nprofile    ${d.profile}\nstatus     ${d.status}\nalg        ${d.alg}\nkey        kid ${d.currentKid}`,
          );
          io.out(`created    ${iso(d.createdAt)}\nlast seen  ${iso(d.lastSeenAt)}\nreadings   ${readings}`);
          io.out(`key age    kid ${d.currentKid} since ${iso(lifecycle?.kidCreatedAt ?? null)}`);
          const r = lifecycle?.lastRotation;
          io.out(
            `rotation   ${r ? `kid ${r.kid} ${r.state} (started ${iso(r.startedAt)})${r.error ? `: ${r.error}` : ''}` : 'never'}`,
          );
          io.out(`commands   ${lifecycle?.pendingCommands ?? 0} pending (vigil command list ${id})`);
          for (const c of certs) {
            io.out(
              `cert       ${c.serial} valid ${iso(c.notBefore)} .. ${iso(c.notAfter)}${c.revokedAt ? ` REVOKED ${iso(c.revokedAt)}` : ''}`,
            );
          }
        }
        return 0;
      }
      case 'rotate-key': {
        const { rotation } = createLifecycleServices(ctx);
        const cmd = await rotation.rotate(id, 'cli', values.reason ? { reason: values.reason } : {});
        if (values.json) io.out(JSON.stringify(commandView(cmd)));
        else {
          io.out(`key rotation of ${id} to kid ${cmd.args.kid} started (command ${cmd.id}, ${cmd.state})`);
          io.out(
            'a running `vigil start` sends it; the old kid is retired after the first message under the new one.',
          );
        }
        return 0;
      }
      case 'disable':
      case 'enable': {
        const d = await setDeviceEnabled(ctx, id, sub === 'enable', 'cli');
        io.out(`device ${id} is ${d.status}`);
        return 0;
      }
      case 'revoke': {
        const serials = await revokeDevice(ctx, id, 'cli', values.reason);
        io.out(
          `device ${id} revoked; certificate(s) ${serials.join(', ') || '(none)'} on the CRL ${ctx.paths.crl}`,
        );
        io.out(
          'the embedded broker drops its session within seconds; with an external broker, re-run `vigil mosquitto-config` and send SIGHUP to mosquitto.',
        );
        return 0;
      }
      default:
        usage(`unknown device command "${sub}"\n${HELP}`);
    }
  });
}
