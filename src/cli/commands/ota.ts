import type { VigilContext } from '../../data-dir/context.ts';
import { createOtaServices } from '../../lifecycle/ota-services.ts';
import { campaignDeviceView, campaignView } from '../../ota/campaign-view.ts';
import { runningVersions } from '../../ota/device-reports.ts';
import type { CampaignRecord } from '../../ota/ota-store.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, usage } from '../io.ts';

export const otaHelp: CommandHelp = {
  forms: {
    start: {
      synopsis:
        'ota start --version V (--devices a,b | --profile P) [--wave 10%] [--max-failures 5%] [--json]',
      about:
        'Starts an OTA campaign of an uploaded version in staged waves: each device of the released wave gets a signed `ota` command with the download URL and the manifest; the next wave goes once every device of the released ones has reported; the campaign pauses itself when failures pass the threshold. A running `vigil start` sends the commands and advances the waves. Audited.',
      options: [
        ['--version V', 'the firmware version (vigil firmware add)'],
        ['--devices a,b', 'these devices (all must be of the image profile)'],
        ['--profile P', 'every enabled device of profile P'],
        ['--wave N%', 'share of the devices per wave (default 10%)'],
        ['--max-failures N%', 'failure share of the released devices that pauses it (default 5%)'],
        ['--json', 'print the campaign as one JSON object'],
      ],
    },
    status: {
      synopsis: 'ota status [ID] [--json]',
      about:
        'Without ID: every campaign, newest first. With ID: the campaign and each device (wave, state, progress, the version it reports running, error).',
      options: [['--json', 'NDJSON: campaigns, or the campaign then one object per device']],
    },
    pause: {
      synopsis: 'ota pause ID [--json]',
      about: 'Stops releasing waves. Audited.',
      options: [['--json', 'print the campaign']],
    },
    resume: {
      synopsis: 'ota resume ID [--json]',
      about: 'Continues a paused campaign (also one paused by its failure threshold). Audited.',
      options: [['--json', 'print the campaign']],
    },
    abort: {
      synopsis: 'ota abort ID [--json]',
      about:
        'Ends the campaign; devices not done are cancelled (a device already installing may finish). Audited.',
      options: [['--json', 'print the campaign']],
    },
  },
};

function percent(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,3})%?$/.exec(v.trim());
  const n = m ? Number(m[1]) : Number.NaN;
  if (!Number.isInteger(n) || n > 100) usage(`${flag} must be a percentage 0%..100%, e.g. 10%`);
  return n;
}

async function show(ctx: VigilContext, io: CliIo, c: CampaignRecord, json: boolean): Promise<void> {
  const v = campaignView(c, await ctx.otaStores.ota.campaignDevices(c.id));
  if (json) io.out(JSON.stringify(v));
  else
    io.out(
      `campaign ${v.id} ${v.version}: ${v.state}${v.reason ? ` (${v.reason})` : ''}, wave ${v.wavesReleased}/${v.waves}, ` +
        `${v.counts.succeeded} succeeded, ${v.counts.failed} failed, ${v.devices - v.counts.succeeded - v.counts.failed - v.counts.cancelled} in progress or pending`,
    );
}

/** `vigil ota start|status|pause|resume|abort` (docs/ota.md). */
export async function otaCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommand(
    rest,
    {
      version: { type: 'string' },
      devices: { type: 'string' },
      profile: { type: 'string' },
      wave: { type: 'string' },
      'max-failures': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    { positionals: sub === 'start' ? 0 : 1 },
  );
  const json = values.json === true;
  if (sub === 'start') {
    if (!values.version) usage('--version V is required');
    if ((values.devices === undefined) === (values.profile === undefined))
      usage('give either --devices a,b or --profile P');
    const wavePct = percent('--wave', values.wave);
    const maxFailuresPct = percent('--max-failures', values['max-failures']);
    return withDataDir(values['data-dir'], async (ctx) => {
      const c = await createOtaServices(ctx).campaigns.start({
        version: values.version as string,
        devices: values.devices
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        profile: values.profile,
        wavePct,
        maxFailuresPct,
        actor: 'cli',
      });
      await show(ctx, io, c, json);
      return 0;
    });
  }
  const id = positionals[0];
  if (sub === 'status') {
    return withDataDir(values['data-dir'], async (ctx) => {
      if (!id) {
        const list = await ctx.otaStores.ota.listCampaigns();
        for (const c of list) await show(ctx, io, c, json);
        if (!json) io.out(`${list.length} campaign(s)`);
        return 0;
      }
      const c = await ctx.otaStores.ota.getCampaign(id);
      if (!c) {
        io.err(`vigil ota: no campaign ${id}`);
        return 1;
      }
      await show(ctx, io, c, json);
      const stores = ctx.otaStores;
      const devices = await stores.ota.campaignDevices(id);
      const running = await runningVersions(stores.reports, devices);
      for (const d of devices) {
        const v = campaignDeviceView(d, running.get(d.deviceId) ?? null);
        if (json) io.out(JSON.stringify(v));
        else
          io.out(
            `  ${v.deviceId.padEnd(24)} wave ${String(v.wave).padEnd(3)} ${v.state.padEnd(12)} ${String(v.progressPct).padStart(3)}% running ${(v.runningVersion ?? '-').padEnd(11)} ${v.error ?? ''}`.trimEnd(),
          );
      }
      return 0;
    });
  }
  if (sub === 'pause' || sub === 'resume' || sub === 'abort') {
    if (!id) usage('the campaign ID is missing');
    return withDataDir(values['data-dir'], async (ctx) => {
      const { campaigns } = createOtaServices(ctx);
      const c = await campaigns[sub](id, 'cli');
      await show(ctx, io, c, json);
      return 0;
    });
  }
  return usage(`unknown subcommand "${sub}"`);
}
