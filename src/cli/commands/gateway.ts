import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { ensurePrivateDir } from '../../atomic-file.ts';
import { loadConfig } from '../../config/load.ts';
import { addGateway, removeGateway, revokeGateway, setBinding } from '../../gateway/gateway-admin.ts';
import { readGatewayBundle, writeGatewayBundle } from '../../gateway/gateway-bundle.ts';
import { startGateway } from '../../gateway/gateway-node.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CommandHelp, YES_OPTION } from '../command-help.ts';
import { type CliIo, confirm, parsePositiveInt, usage } from '../io.ts';

export const gatewayHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: 'gateway --bundle DIR --data-dir DIR [--listen 8883]',
      about:
        "Runs a gateway on the site machine (docs/gateway.md): an MQTT-over-mTLS listener for the site's devices, a durable store-and-forward queue in DATA_DIR (gateway.maxQueueBytes, gateway.window from DATA_DIR/config.json), one upstream connection under the gateway's certificate. Here --data-dir is the gateway's own directory.",
      options: [
        ['--bundle DIR', 'the bundle written by `vigil gateway add`'],
        ['--listen PORT', 'local listener port (default 8883)'],
        ['--host ADDR', 'local listener address (default ::)'],
      ],
    },
    add: {
      synopsis:
        'gateway add GW-ID --devices id1,id2,... [--out DIR] [--host NAME]... [--ip ADDR]... [--json]',
      about:
        'Registers a gateway and issues its certificate (CN = GW-ID, the Vigil gateway EKU, client and server use) and a bundle: gateway.json, gateway.crt, gateway.key, ca.crt, crl.pem.',
      options: [
        ['--devices LIST', 'comma-separated device ids it relays for (may be empty: --devices "")'],
        ['--out DIR', 'where the bundle goes (default DATA_DIR/gateways/GW-ID)'],
        ['--host NAME', "a DNS name the site's devices reach the gateway by (repeatable; localhost always)"],
        ['--ip ADDR', 'an IP address of the gateway for its devices (repeatable; loopback always)'],
        ['--json', 'print the gateway as one JSON object'],
      ],
    },
    bind: {
      synopsis: 'gateway bind GW-ID DEVICE [--json]',
      about: 'Lets the gateway relay for DEVICE; a running server and gateway apply it within seconds.',
      options: [['--json', 'print the change as one JSON object']],
    },
    unbind: {
      synopsis: 'gateway unbind GW-ID DEVICE [--json]',
      about:
        'Stops the gateway relaying for DEVICE; its session at the gateway ends and the ACL refuses it at once.',
      options: [['--json', 'print the change as one JSON object']],
    },
    revoke: {
      synopsis: 'gateway revoke GW-ID [--reason R] [--yes] [--json]',
      about:
        'Puts the gateway certificate on the CRL: Vigil refuses its TLS handshake from then on and drops a live session within seconds; it relays for nobody. Its bindings stay until `remove`. Cannot be undone (issue a new gateway to replace it); asks first.',
      options: [
        ['--reason R', 'RFC 5280 reason (default keyCompromise; e.g. superseded, cessationOfOperation)'],
        YES_OPTION,
        ['--json', 'print the outcome as one JSON object'],
      ],
    },
    remove: {
      synopsis: 'gateway remove GW-ID [--yes] [--json]',
      about:
        'Retires a gateway: its certificate is revoked (and stays on the CRL), its devices are unbound (they may connect directly again) and its id may be added again. Audited; asks first.',
      options: [YES_OPTION, ['--json', 'print the outcome as one JSON object']],
    },
    list: {
      synopsis: 'gateway list [--json]',
      about: 'Gateways and their devices.',
      options: [['--json', 'one JSON object per gateway (NDJSON)']],
    },
  },
};

/** `vigil gateway [add|bind|unbind|revoke|remove|list]`. */
export async function gatewayCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') return add(rest, io);
  if (sub === 'bind' || sub === 'unbind') return bind(sub, rest, io);
  if (sub === 'revoke' || sub === 'remove') return retire(sub, rest, io);
  if (sub === 'list') return list(rest, io);
  return run(argv, io);
}

async function add(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      devices: { type: 'string' },
      out: { type: 'string' },
      host: { type: 'string', multiple: true },
      ip: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
    { positionals: 1 },
  );
  const id = positionals[0];
  if (!id) usage('the gateway id GW-ID is missing');
  if (values.devices === undefined) usage('--devices is required (a comma-separated list of device ids)');
  const devices = values.devices
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  return withDataDir(values['data-dir'], async (ctx) => {
    const dir = resolve(values.out ?? join(ctx.paths.dataDir, 'gateways', id));
    ensurePrivateDir(dir);
    const made = await addGateway(ctx, {
      id,
      devices,
      actor: 'cli',
      hostNames: values.host ?? [],
      ips: values.ip ?? [],
    });
    writeGatewayBundle(dir, made);
    const view = gatewayJson(made.gateway.id, made.devices, made.gateway.createdAt, made.gateway.certSerial);
    if (values.json) io.out(JSON.stringify({ ...view, dir }));
    else {
      io.out(`gateway ${id}: ${devices.length} device(s)${devices.length ? ` (${devices.join(', ')})` : ''}`);
      io.out(
        `bundle written to ${dir}: gateway.json, gateway.crt, gateway.key (keep it on the gateway only), ca.crt`,
      );
      io.out(`run it on the site machine: vigil gateway --bundle ${dir} --data-dir GATEWAY_DATA_DIR`);
    }
    return 0;
  });
}

function gatewayJson(id: string, devices: string[], createdAt: number, certSerial: string) {
  return { id, devices, certSerial, createdAt: new Date(createdAt).toISOString() };
}

async function bind(sub: 'bind' | 'unbind', argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    { json: { type: 'boolean', default: false } },
    { positionals: 2 },
  );
  const [gatewayId, deviceId] = positionals;
  if (!gatewayId || !deviceId) usage(`usage: vigil gateway ${sub} GW-ID DEVICE`);
  return withDataDir(values['data-dir'], async (ctx) => {
    const changed = await setBinding(ctx, { gatewayId, deviceId, bound: sub === 'bind', actor: 'cli' });
    if (values.json) io.out(JSON.stringify({ gatewayId, deviceId, bound: sub === 'bind', changed }));
    else {
      io.out(
        sub === 'bind'
          ? `${deviceId} ${changed ? 'is now bound' : 'was already bound'} to gateway ${gatewayId}`
          : `${deviceId} unbound from gateway ${gatewayId}`,
      );
      if (changed) io.out(externalBrokerNote(ctx));
    }
    return 0;
  });
}

async function retire(sub: 'revoke' | 'remove', argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      ...(sub === 'revoke' ? { reason: { type: 'string' as const } } : {}),
      yes: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    { positionals: 1 },
  );
  const [id] = positionals;
  if (!id) usage(`usage: vigil gateway ${sub} GW-ID`);
  return withDataDir(values['data-dir'], async (ctx) => {
    const g = await ctx.lifecycleStores.gateways.getGateway(id);
    if (sub === 'revoke' && g && g.revokedAt !== null) {
      // Nothing to ask about: the outcome says nothing changed.
      const out = await revokeGateway(ctx, { id, actor: 'cli' });
      if (values.json) io.out(JSON.stringify(out));
      else io.out(`gateway ${id} is already revoked; nothing changed`);
      return 0;
    }
    if (g)
      await confirm(
        io,
        sub === 'revoke'
          ? `Revoke gateway ${id}? Its certificate goes on the CRL and it can never connect again (this cannot be undone).`
          : `Remove gateway ${id}? Its certificate is revoked and its devices are unbound.`,
        values.yes,
      );
    const out =
      sub === 'revoke'
        ? await revokeGateway(ctx, { id, actor: 'cli', reason: values.reason as string | undefined })
        : await removeGateway(ctx, { id, actor: 'cli' });
    if (values.json) {
      io.out(JSON.stringify(out));
      return 0;
    }
    io.out(
      sub === 'revoke'
        ? `gateway ${id} revoked; certificate ${out.certSerial} on the CRL ${ctx.paths.crl}`
        : `gateway ${id} removed; certificate ${out.certSerial} stays on the CRL; unbound: ${out.devices.join(', ') || '-'}`,
    );
    io.out(externalBrokerNote(ctx));
    return 0;
  });
}

/** Where the change takes effect: the embedded broker polls the store; Mosquitto is reloaded by hand. */
function externalBrokerNote(ctx: { config: { mqtt: { external: { url?: string | undefined } } } }): string {
  return ctx.config.mqtt.external.url
    ? 'with an external broker: re-run `vigil mosquitto-config` and send SIGHUP to mosquitto (its ACL and CRL change).'
    : 'a running server applies it within seconds.';
}

async function list(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    { json: { type: 'boolean', default: false } },
    { positionals: false },
  );
  return withDataDir(values['data-dir'], async (ctx) => {
    const bindings = await ctx.lifecycleStores.gateways.listBindings();
    const gateways = await ctx.lifecycleStores.gateways.listGateways();
    for (const g of gateways) {
      const devices = bindings.filter((b) => b.gatewayId === g.id).map((b) => b.deviceId);
      if (values.json)
        io.out(
          JSON.stringify({
            ...gatewayJson(g.id, devices, g.createdAt, g.certSerial),
            revoked: g.revokedAt !== null,
          }),
        );
      else
        io.out(
          `${g.id.padEnd(24)} ${g.revokedAt !== null ? 'REVOKED ' : ''}${devices.length} device(s): ${devices.join(', ') || '-'}`,
        );
    }
    if (!values.json) io.out(`${gateways.length} gateway(s)`);
    return 0;
  });
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    { bundle: { type: 'string' }, listen: { type: 'string' }, host: { type: 'string' } },
    { positionals: false },
  );
  if (!values.bundle) usage('--bundle DIR is required');
  if (!values['data-dir']) usage("--data-dir DIR is required (the gateway's own directory for its queue)");
  const port = values.listen === undefined ? 8883 : parsePositiveInt('--listen', values.listen, 65_535);
  const bundle = readGatewayBundle(resolve(values.bundle));
  const dataDir = resolve(values['data-dir']);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const config = loadConfig({ dataDir, env: io.env });
  const logger = pino({ level: config.log.level });
  const gw = await startGateway({
    bundle,
    dataDir,
    listenPort: port ?? 8883,
    ...(values.host ? { listenHost: values.host } : {}),
    maxQueueBytes: config.gateway.maxQueueBytes,
    window: config.gateway.window,
    statusIntervalMs: config.gateway.statusIntervalMs,
    logger,
  });
  io.out(`gateway ${bundle.info.id}: listening on port ${gw.port}, upstream ${bundle.info.upstream_url}`);
  await new Promise<void>((r) => {
    if (io.signal.aborted) r();
    io.signal.addEventListener('abort', () => r(), { once: true });
  });
  await gw.close();
  return 0;
}
