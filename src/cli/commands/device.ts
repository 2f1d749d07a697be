import { commandView } from '../../commands/command-view.ts';
import {
  addDevice,
  checkDeviceId,
  deleteDevice,
  deletionRefusal,
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
import { type CommandHelp, YES_OPTION } from '../command-help.ts';
import { type CliIo, confirm, ExitError, usage } from '../io.ts';
import { deviceJson, iso, isoOrNull } from '../json-views.ts';

const YES = YES_OPTION;

export const deviceHelp: CommandHelp = {
  forms: {
    add: {
      synopsis: `device add ID --profile ${DEVICE_PROFILES.join('|')} [--out DIR] [--alg ${ALGS.join('|')}] [--json]`,
      about:
        'Registers a device: its client certificate (CN = ID), secret key generation 1, and the bundle a device needs (ca.crt, device.crt, device.key, device.json, vigil_device_config.h). The secret exists in clear only in the bundle.',
      options: [
        ['--profile P', `what the device measures: ${DEVICE_PROFILES.join(', ')}`],
        ['--out DIR', 'where the bundle is written (default DATA_DIR/devices/ID)'],
        ['--alg A', `envelope algorithm: ${ALGS.join(', ')} (default A256GCM)`],
        ['--json', 'print {device, bundle, files} as one JSON object'],
      ],
    },
    list: {
      synopsis: 'device list [--json]',
      about:
        'The registry: every device with its profile, status, algorithm, key generation and last contact.',
      options: [['--json', 'one JSON object per device (NDJSON)']],
    },
    show: {
      synopsis: 'device show ID [--json]',
      about: 'One device: its registry entry, key generations, certificates and how many readings it stored.',
      options: [['--json', 'one JSON object']],
    },
    disable: {
      synopsis: 'device disable ID',
      about: 'Refuses the device at connect and drops its live session; its data stays. `enable` undoes it.',
    },
    enable: { synopsis: 'device enable ID', about: 'Accepts a disabled device again.' },
    revoke: {
      synopsis: 'device revoke ID [--reason R] [--yes]',
      about:
        'Puts the device certificate on the CRL: the broker refuses it from then on and drops a live session within seconds. Cannot be undone; asks first.',
      options: [
        ['--reason R', 'RFC 5280 reason (default keyCompromise; e.g. superseded, cessationOfOperation)'],
        YES,
      ],
    },
    delete: {
      synopsis: 'device delete ID [--yes]',
      about:
        'Removes a device that never connected (a typo, a logger never installed): its registry entry and keys; its certificate is revoked; audited. A device with readings, events or shipments keeps its record: revoke it instead. Asks first.',
      options: [YES],
    },
    'rotate-key': {
      synopsis: 'device rotate-key ID [--reason TEXT] [--json]',
      about:
        "Starts a rotation of the device secret to the next key generation (kid N+1), agreed by ECDH with the device's certificate key (docs/protocol.md §12): it is queued as a signed rotate_key command that a running `vigil start` delivers. The old kid is retired at the first message under the new one, or after keys.rotationOverlapMinutes.",
      options: [
        ['--reason TEXT', 'why (audited with the command)'],
        ['--json', 'print the rotate_key command as one JSON object'],
      ],
    },
  },
};

function row(d: DeviceRecord): string {
  return [
    d.id.padEnd(24),
    d.profile.padEnd(18),
    d.status.padEnd(9),
    d.alg.padEnd(9),
    `kid ${d.currentKid}`.padEnd(7),
    d.lastSeenAt === null ? 'never' : iso(d.lastSeenAt),
  ].join(' ');
}

export async function deviceCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommand(
    rest,
    {
      profile: { type: 'string' },
      out: { type: 'string' },
      alg: { type: 'string' },
      json: { type: 'boolean', default: false },
      reason: { type: 'string' },
      yes: { type: 'boolean', default: false },
    },
    { positionals: sub === 'list' ? 0 : 1 },
  );
  const id = positionals[0] ?? '';
  // Validate before opening the data directory: bad input changes nothing.
  if (sub !== 'list') {
    if (!id) usage('the device ID is missing');
    checkDeviceId(id);
  }
  if (sub === 'add') {
    if (!values.profile) usage(`--profile is required: one of ${DEVICE_PROFILES.join(', ')}`);
    if (!isDeviceProfile(values.profile)) usage(`--profile must be one of ${DEVICE_PROFILES.join(', ')}`);
    if (values.alg && !(ALGS as readonly string[]).includes(values.alg))
      usage(`--alg must be one of ${ALGS.join(', ')}`);
  }
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      switch (sub) {
        case 'add': {
          const b = await addDevice(ctx, {
            id,
            profile: values.profile as string,
            alg: values.alg as Alg | undefined,
            outDir: values.out,
            actor: 'cli',
          });
          if (values.json)
            io.out(JSON.stringify({ device: deviceJson(b.device), bundle: b.dir, files: b.files }));
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
          if (values.json) for (const d of devices) io.out(JSON.stringify(deviceJson(d)));
          else {
            io.out(
              `${'ID'.padEnd(24)} ${'PROFILE'.padEnd(18)} ${'STATUS'.padEnd(9)} ${'ALG'.padEnd(9)} ${'KEY'.padEnd(7)} LAST SEEN`,
            );
            for (const d of devices) io.out(row(d));
            io.err(`${devices.length} device(s)`);
          }
          return 0;
        }
        case 'show': {
          const d = await requireDevice(ctx, id);
          const certs = await ctx.store.listCertificates({ subject: id, kind: 'device' });
          const keys = await ctx.store.listDeviceKeys(id);
          const readings = await ctx.store.countReadings(id);
          const lifecycle = await deviceLifecycle(lifecycleSources(ctx), id);
          const r = lifecycle?.lastRotation ?? null;
          if (values.json) {
            io.out(
              JSON.stringify({
                ...deviceJson(d),
                readings,
                lastRotation: r
                  ? {
                      ...r,
                      startedAt: iso(r.startedAt),
                      ackedAt: isoOrNull(r.ackedAt),
                      completedAt: isoOrNull(r.completedAt),
                    }
                  : null,
                pendingCommands: lifecycle?.pendingCommands ?? 0,
                keys: keys.map((k) => ({ kid: k.kid, status: k.status, createdAt: iso(k.createdAt) })),
                certificates: certs.map((c) => ({
                  serial: c.serial,
                  notBefore: iso(c.notBefore),
                  notAfter: iso(c.notAfter),
                  revokedAt: isoOrNull(c.revokedAt),
                })),
              }),
            );
            return 0;
          }
          io.out(
            `device     ${d.id}\nprofile    ${d.profile}\nstatus     ${d.status}\nalg        ${d.alg}\nkey        kid ${d.currentKid}`,
          );
          io.out(
            `created    ${iso(d.createdAt)}\nlast seen  ${d.lastSeenAt === null ? 'never' : iso(d.lastSeenAt)}\nreadings   ${readings}`,
          );
          const since = lifecycle?.kidCreatedAt;
          io.out(`key age    kid ${d.currentKid} since ${since == null ? '-' : iso(since)}`);
          io.out(
            `rotation   ${r ? `kid ${r.kid} ${r.state} (started ${iso(r.startedAt)})${r.error ? `: ${r.error}` : ''}` : 'never'}`,
          );
          io.out(`commands   ${lifecycle?.pendingCommands ?? 0} pending (vigil command list ${id})`);
          for (const c of certs) {
            io.out(
              `cert       ${c.serial} valid ${iso(c.notBefore)} .. ${iso(c.notAfter)}${c.revokedAt ? ` REVOKED ${iso(c.revokedAt)}` : ''}`,
            );
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
          const d = await requireDevice(ctx, id);
          if (d.status === 'revoked') {
            io.out(`device ${id} is already revoked; nothing changed`);
            return 0;
          }
          await confirm(
            io,
            `Revoke device ${id}? Its certificate goes on the CRL and it can never connect again (this cannot be undone).`,
            values.yes,
          );
          const serials = await revokeDevice(ctx, id, 'cli', values.reason);
          io.out(
            `device ${id} revoked; certificate(s) ${serials.join(', ') || '(none)'} on the CRL ${ctx.paths.crl}`,
          );
          io.out(
            'the embedded broker drops its session within seconds; with an external broker, re-run `vigil mosquitto-config` and send SIGHUP to mosquitto.',
          );
          return 0;
        }
        case 'delete': {
          const refusal = await deletionRefusal(ctx, await requireDevice(ctx, id));
          if (refusal) {
            throw new ExitError(`${refusal}; its record stays: use "vigil device revoke ${id}" instead`);
          }
          await confirm(
            io,
            `Delete device ${id}? Its registry entry and keys are removed and its certificate is revoked.`,
            values.yes,
          );
          const serials = await deleteDevice(ctx, id, 'cli');
          io.out(
            `device ${id} deleted; certificate(s) ${serials.join(', ') || '(none)'} revoked on the CRL ${ctx.paths.crl}`,
          );
          io.out(
            `its bundle (default ${ctx.paths.devicesDir}/${id}/) holds a secret that no longer works: delete it too.`,
          );
          return 0;
        }
        default:
          return usage(`unknown subcommand "${sub}"`);
      }
    },
    { env: io.env },
  );
}
