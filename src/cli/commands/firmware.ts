import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../atomic-file.ts';
import { VigilError } from '../../errors.ts';
import { createOtaServices } from '../../lifecycle/ota-services.ts';
import { keyIdOf, publicKeyText, signManifest } from '../../ota/firmware-manifest.ts';
import { FirmwareService } from '../../ota/firmware-service.ts';
import { firmwareView } from '../../ota/firmware-view.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, usage } from '../io.ts';

export const firmwareHelp: CommandHelp = {
  forms: {
    keygen: {
      synopsis: 'firmware keygen --out KEY [--json]',
      about:
        'Makes an Ed25519 firmware signing key (KEY, PKCS#8 PEM, mode 0600) and KEY.pub with its public key (ed25519:…). Keep KEY offline, away from every server; list the public key in ota.trustedKeys.',
      options: [
        ['--out KEY', 'where the private key goes (refused if it exists)'],
        ['--json', 'print {keyFile, publicKey, keyId}'],
      ],
    },
    sign: {
      synopsis:
        'firmware sign IMAGE --key KEY --version SEMVER --profile P [--min-version V] [--out M] [--json]',
      about:
        'Writes the signed manifest of IMAGE (default IMAGE.manifest.json): version, security counter, profile, size, SHA-256 and an Ed25519 signature over its RFC 8785 canonical bytes. Runs offline, without a data directory.',
      options: [
        ['--key KEY', 'the signing key from firmware keygen'],
        ['--version V', 'MAJOR.MINOR.PATCH, each 0..999'],
        ['--profile P', 'the device profile the image is built for'],
        [
          '--min-version V',
          'oldest version a device may go back to after installing this one (default: this version)',
        ],
        ['--out M', 'where the manifest goes'],
        ['--json', 'print the manifest'],
      ],
    },
    add: {
      synopsis: 'firmware add IMAGE --manifest M [--json]',
      about:
        'Uploads a signed image: refused (and audited) unless the manifest verifies against ota.trustedKeys and matches the image. Versions are never replaced.',
      options: [
        ['--manifest M', 'the manifest written by firmware sign'],
        ['--json', 'print the stored firmware as one JSON object'],
      ],
    },
    list: {
      synopsis: 'firmware list [--json]',
      about: 'Uploaded firmware, newest first.',
      options: [['--json', 'one JSON object per image (NDJSON)']],
    },
  },
};

/** `vigil firmware keygen|sign|add|list` (docs/ota.md). */
export async function firmwareCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommand(
    rest,
    {
      out: { type: 'string' },
      key: { type: 'string' },
      version: { type: 'string' },
      profile: { type: 'string' },
      'min-version': { type: 'string' },
      manifest: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    { positionals: sub === 'sign' || sub === 'add' ? 1 : 0 },
  );
  if (sub === 'keygen') {
    if (!values.out) usage('--out KEY is required');
    const out = resolve(values.out);
    if (existsSync(out) || existsSync(`${out}.pub`))
      usage(`${out} already exists; keys are never overwritten`);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileAtomic(out, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
    const pub = publicKeyText(publicKey);
    writeFileAtomic(`${out}.pub`, `${pub}\n`, 0o644);
    if (values.json) io.out(JSON.stringify({ keyFile: out, publicKey: pub, keyId: keyIdOf(publicKey) }));
    else {
      io.out(`firmware signing key written to ${out} (keep it offline)`);
      io.out(`public key (add to ota.trustedKeys): ${pub}`);
    }
    return 0;
  }
  if (sub === 'sign') {
    const image = positionals[0];
    if (!image) usage('the IMAGE is missing');
    if (!values.key) usage('--key KEY is required');
    if (!values.version) usage('--version SEMVER is required');
    if (!values.profile) usage('--profile P is required');
    let privateKey: ReturnType<typeof createPrivateKey>;
    try {
      privateKey = createPrivateKey(readFileSync(values.key));
    } catch {
      throw new VigilError('VIGIL_ERR_USAGE', `${values.key} is not a readable private key`);
    }
    const manifest = signManifest({
      image: FirmwareService.readImage(image),
      version: values.version,
      profile: values.profile,
      minVersion: values['min-version'],
      privateKey,
    });
    // The key must be one we could verify with: a mistyped file fails here, not on upload.
    void createPublicKey(privateKey);
    const out = resolve(values.out ?? `${image}.manifest.json`);
    writeFileAtomic(out, `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
    if (values.json) io.out(JSON.stringify(manifest));
    else
      io.out(
        `manifest for ${manifest.version} (${manifest.profile}, ${manifest.size} bytes) written to ${out}`,
      );
    return 0;
  }
  if (sub === 'add') {
    const image = positionals[0];
    if (!image) usage('the IMAGE is missing');
    if (!values.manifest) usage('--manifest M is required');
    const bytes = FirmwareService.readImage(image);
    let manifestText: string;
    try {
      manifestText = readFileSync(values.manifest, 'utf8');
    } catch {
      throw new VigilError('VIGIL_ERR_USAGE', `cannot read ${values.manifest}`);
    }
    return withDataDir(values['data-dir'], async (ctx) => {
      const rec = await createOtaServices(ctx).firmware.add(bytes, manifestText, 'cli');
      if (values.json) io.out(JSON.stringify(firmwareView(rec)));
      else io.out(`firmware ${rec.version} (${rec.profile}, ${rec.manifest.size} bytes) added`);
      return 0;
    });
  }
  if (sub === 'list') {
    return withDataDir(values['data-dir'], async (ctx) => {
      const list = await ctx.otaStores.ota.listFirmware();
      if (values.json) for (const f of list) io.out(JSON.stringify(firmwareView(f)));
      else {
        io.out(`${'VERSION'.padEnd(12)} ${'PROFILE'.padEnd(18)} ${'SIZE'.padEnd(10)} ADDED`);
        for (const f of list)
          io.out(
            `${f.version.padEnd(12)} ${f.profile.padEnd(18)} ${String(f.manifest.size).padEnd(10)} ${new Date(f.addedAt).toISOString()}`,
          );
        io.out(`${list.length} image(s)`);
      }
      return 0;
    });
  }
  return usage(`unknown subcommand "${sub}"`);
}
