import { statSync } from 'node:fs';
import { join } from 'node:path';
import { writeMosquittoFiles } from '../../data-dir/mosquitto-files.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, parsePositiveInt, usage } from '../io.ts';

export const mosquittoConfigHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: 'mosquitto-config --out DIR [--port N] [--host H] [--user NAME]',
      about:
        "Writes a configuration for Eclipse Mosquitto 2.x to front Vigil (one mutual-TLS listener, the certificate CN as identity, the topic ACL of DESIGN §3) into DIR: mosquitto.conf, acl, ca.crt, server.crt, server.key (secret, mode 0600), crl.pem and data/ (Mosquitto's database). Issues the vigil-ingest service certificate in the data directory if it has none.",
      options: [
        ['--out DIR', 'where the files go (required)'],
        ['--port N', 'listener port (default mqtt.port, 8883)'],
        ['--host H', 'listener address (default mqtt.host; :: means every IPv4 and IPv6 address)'],
        [
          '--user NAME',
          'user Mosquitto switches to when started as root (default: Mosquitto\'s, "mosquitto")',
        ],
      ],
    },
  },
  notes:
    'Run it again after "vigil device revoke" and at least daily (the CRL expires after 24 h), then send SIGHUP to mosquitto: it re-reads crlfile, certfile and keyfile on reload.',
};

export async function mosquittoConfigCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      out: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      user: { type: 'string' },
    },
    { positionals: false },
  );
  const outDir = values.out || usage('--out DIR is required');
  const port = parsePositiveInt('--port', values.port, 65535);
  if (values.host !== undefined && !/^[A-Za-z0-9.:-]{1,253}$/.test(values.host))
    usage('--host must be an IP address or a host name');
  if (values.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(values.user))
    usage('--user must be a user name');

  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      const r = await writeMosquittoFiles(ctx, {
        outDir,
        ...(port !== undefined ? { port } : {}),
        ...(values.host !== undefined ? { host: values.host } : {}),
        ...(values.user !== undefined ? { user: values.user } : {}),
        actor: 'cli',
      });
      const conf = r.confPath;
      io.out(`mosquitto configuration written to ${r.dir}: ${r.files.join(', ')}`);
      io.out(
        `  server.key is the broker's private TLS key, unsealed from the data directory: a secret (mode 0600).`,
      );
      const where = r.host === '::' ? 'every IPv4 and IPv6 address' : r.host;
      io.out(`  listener         mqtts on ${where} port ${r.port}, client certificates required, TLS >= 1.2`);
      io.out(
        `  service identity ${r.service.name} (certificate ${r.service.serial}, ${r.service.issued ? 'issued now' : 'existing'}) ${r.service.certPath}`,
      );
      io.out(
        `  CRL              ${r.revokedSerials.length} revoked certificate(s), valid until ${new Date(r.crlNextUpdate).toISOString()}`,
      );
      io.out(`  backend ACL      ${r.services.join(', ')} (and the $SYS dropped-message counters)`);
      if (r.gateways.length > 0)
        io.out(
          `  gateway ACL      ${r.gateways.map((g) => `${g.id} (${g.devices.length} device(s))`).join(', ')}; re-run after "vigil gateway bind|unbind|revoke|remove"`,
        );
      io.out(
        `  queues           ${r.queue.maxMessages} messages / ${r.queue.maxBytes} bytes per session: ${r.queue.maxOutageMinutes} min of outage at ${r.queue.ratePerSec} msg/s (mqtt.external.maxOutageMinutes, fleetRatePerSec); mosquitto keeps them in RAM`,
      );
      io.out('');
      io.out('run the broker:');
      io.out(`  mosquitto -c ${conf}`);
      const runAs = values.user ?? 'mosquitto';
      if (process.getuid?.() === 0 && runAs !== 'root' && statSync(r.dir).uid === 0) {
        io.out(
          `  started as root, mosquitto switches to user "${runAs}" right after reading its config, then`,
        );
        io.out(`  reads these files and writes data/ as that user (also on every SIGHUP). Once:`);
        io.out(`    chown -R ${runAs} ${r.dir}`);
        io.out('  (later runs of this command keep the owner of the directory for the files they write)');
      }
      io.out('');
      io.out(
        `then point Vigil at it in ${join(ctx.paths.dataDir, 'config.json')} and restart "vigil start":`,
      );
      io.out(`  { "mqtt": { "external": { "url": "${r.suggestedUrl}", "group": "vigil-ingest" } } }`);
      io.out(
        `  (the URL's host must be one of the server certificate's names: ${r.serverNames.join(', ')}; add more with pki.hostNames / pki.ips)`,
      );
      io.out('');
      io.out(
        'revocation and renewal: mosquitto checks the CRL when a client connects. After "vigil device revoke",',
      );
      io.out(
        'and at least once a day (mosquitto refuses EVERY client once crl.pem is past its next update), run this',
      );
      io.out(
        'command again and reload mosquitto with SIGHUP (kill -HUP <pid>); it re-reads crlfile, certfile and keyfile.',
      );
      io.out(
        'A revoked device that is still connected keeps its session until it reconnects; Vigil drops its',
      );
      io.out(
        'messages within seconds (the device is no longer enabled). Restart mosquitto to cut it off immediately.',
      );
      return 0;
    },
    { env: io.env },
  );
}
