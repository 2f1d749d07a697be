import { isVigilError } from '../errors.ts';
import { alarmsCommand } from './commands/alarms.ts';
import { auditCommand } from './commands/audit.ts';
import { claimCertCommand, claimsCommand } from './commands/claims.ts';
import { commandCommand } from './commands/command.ts';
import { deviceCommand } from './commands/device.ts';
import { keysCommand } from './commands/keys.ts';
import { mosquittoConfigCommand } from './commands/mosquitto-config.ts';
import { pkiCommand } from './commands/pki.ts';
import { readingsCommand } from './commands/readings.ts';
import { reportCommand } from './commands/report.ts';
import { shipmentCommand } from './commands/shipment.ts';
import { simCommand } from './commands/sim.ts';
import { startCommand } from './commands/start.ts';
import { userCommand } from './commands/user.ts';
import { type CliIo, ExitError } from './io.ts';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  start: {
    run: startCommand,
    help: 'start [--data-dir DIR] [--mqtt-port N] [--http-port N] [--demo]   run broker, ingest, storage',
  },
  device: {
    run: deviceCommand,
    help: 'device add|list|show|disable|enable|revoke|rotate-key ...           manage devices',
  },
  command: {
    run: commandCommand,
    help: 'command send ID OP [--args JSON] [--ttl 10m] [--wait] [--json] | list ID   signed commands to a device',
  },
  readings: {
    run: readingsCommand,
    help: 'readings ID [--since ISO] [--limit N] [--json]                     print stored readings',
  },
  shipment: {
    run: shipmentCommand,
    help: 'shipment create --device ID --profile NAME [--batch LOT ...] | list | show ID | deliver ID --token T',
  },
  alarms: {
    run: alarmsCommand,
    help: 'alarms [--state open|active|resolved|all] [--subject ID] [--json]   list alarms, newest raised first',
  },
  audit: {
    run: auditCommand,
    help: 'audit [--since ISO] [--json] | audit verify                       print or verify the audit log',
  },
  report: {
    run: reportCommand,
    help: 'report verify FILE [--key PEM] | report key | report shipment ID --format pdf|csv --out FILE',
  },
  'claim-cert': {
    run: claimCertCommand,
    help: 'claim-cert create --batch NAME --uses N --expires 30d [--out DIR]   shared claim certificate',
  },
  claims: {
    run: claimsCommand,
    help: 'claims list | approve SERIAL --device-id ID | reject SERIAL | quarantine   provisioning claims',
  },
  pki: {
    run: pkiCommand,
    help: 'pki rollover | status [--json]                                     CA rollover and its progress',
  },
  keys: {
    run: keysCommand,
    help: 'keys rotate-master                                                  new master key, re-seal, re-key the database',
  },
  'mosquitto-config': {
    run: mosquittoConfigCommand,
    help: 'mosquitto-config --out DIR [--port N] [--host H] [--user NAME]     config for an external Mosquitto',
  },
  user: {
    run: userCommand,
    help: 'user add NAME --role ROLE | list | disable|enable|reset-mfa NAME  manage dashboard users',
  },
  sim: {
    run: simCommand,
    help: 'sim --devices N --profile P [--rate R] [--duration D]              simulate devices over mTLS',
  },
};

const HELP = `vigil: secure IoT monitoring for cold chains, clinics and facilities

usage: vigil <command> [options]   (every command takes --data-dir DIR, default ./vigil-data or $VIGIL_DATA_DIR)

${Object.values(COMMANDS)
  .map((c) => `  ${c.help}`)
  .join('\n')}
`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out(HELP);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out('vigil 0.1.0');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`vigil: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof ExitError) {
      io.err(`vigil ${name}: ${err.message}`);
      return err.exitCode;
    }
    if (isVigilError(err)) {
      io.err(`vigil ${name}: ${err.message} [${err.code}]`);
      // 400-class codes are bad input from the user (exit 2); the rest are failures (exit 1).
      return err.status === 400 ? 2 : 1;
    }
    if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`vigil ${name}: ${err.message}`);
      return 2;
    }
    io.err(`vigil ${name}: internal error (a bug): ${(err as Error)?.stack ?? String(err)}`);
    return 70;
  }
}

// Only the entry point calls process.exit.
if (import.meta.main || process.argv[1]?.endsWith('/bin/vigil')) {
  const ac = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await main(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
    signal: ac.signal,
  });
  process.exitCode = code;
  // Let stdout drain, then leave even if a library left a handle open.
  setTimeout(() => process.exit(code), 200).unref();
}
