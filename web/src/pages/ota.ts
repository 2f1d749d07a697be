/**
 * Firmware updates (docs/ota.md): OTA campaigns with their progress by wave and per device,
 * uploaded (signed) firmware, and, for a user allowed to command devices (MFA), starting,
 * pausing, resuming and aborting campaigns. Refreshed every 2 s.
 */
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { h, replace } from '../dom.ts';
import {
  badge,
  card,
  confirmDialog,
  emptyState,
  errorBox,
  field,
  loading,
  openDialog,
  pageHeader,
  type Tone,
  timeAgo,
  toast,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import './ota.css';

interface Firmware {
  version: string;
  profile: string;
  size: number;
  sha256: string;
  securityCounter: number;
  keyId: string;
  addedAt: string;
}
type Counts = Record<
  'pending' | 'sent' | 'downloading' | 'installing' | 'succeeded' | 'failed' | 'cancelled',
  number
>;
interface Campaign {
  id: string;
  version: string;
  target: { devices: string[] } | { profile: string };
  state: 'running' | 'paused' | 'aborted' | 'completed';
  reason: string | null;
  wavePct: number;
  maxFailuresPct: number;
  wavesReleased: number;
  waves: number;
  devices: number;
  counts: Counts;
  createdBy: string;
  createdAt: string;
}
interface CampaignDevice {
  deviceId: string;
  /** The version the device last reported running (its `running`/`confirmed`/`rolled_back` event). */
  runningVersion: string | null;
  wave: number;
  state: string;
  progressPct: number;
  error: string | null;
}

const STATE_TONE: Record<string, Tone> = {
  running: 'info',
  paused: 'warn',
  aborted: 'bad',
  completed: 'ok',
  succeeded: 'ok',
  failed: 'bad',
  cancelled: 'neutral',
};
const tone = (s: string): Tone => STATE_TONE[s] ?? 'info';
const ms = (iso: string) => Date.parse(iso);

function progress(c: Campaign): HTMLElement {
  const pct = (n: number) => `${c.devices ? (n * 100) / c.devices : 0}%`;
  const ok = h('span', { class: 'ota-progress-ok' });
  const bad = h('span', { class: 'ota-progress-bad' });
  // Sizes through the CSSOM: the CSP allows no inline style attribute.
  ok.style.width = pct(c.counts.succeeded);
  bad.style.width = pct(c.counts.failed);
  return h(
    'div',
    {
      class: 'ota-progress',
      title: `${c.counts.succeeded} succeeded, ${c.counts.failed} failed of ${c.devices}`,
    },
    ok,
    bad,
  );
}

export const otaPage: Page = (root, ctx) => {
  const canControl = ctx.can('devices.command');
  const campaignsHost = h('div', { class: 'table-host', testid: 'ota-campaigns' }, loading());
  const detailHost = h('div', { testid: 'ota-detail' });
  const firmwareHost = h('div', { class: 'table-host', testid: 'ota-firmware' }, loading());
  let selected: string | null = null;
  let firmware: Firmware[] = [];
  let stopped = false;
  replace(
    root,
    pageHeader(
      'Firmware updates',
      'Signed images rolled out in staged waves; a campaign pauses itself when failures pass its threshold.',
      canControl
        ? h(
            'button',
            { type: 'button', class: 'btn btn-primary', testid: 'ota-start', onclick: () => void start() },
            icon('plus'),
            'New campaign',
          )
        : null,
    ),
    card('Campaigns', campaignsHost),
    detailHost,
    card('Firmware', firmwareHost),
  );

  async function refresh(): Promise<void> {
    try {
      const [{ campaigns }, fw] = await Promise.all([
        api<{ campaigns: Campaign[] }>('/ota/campaigns'),
        api<{ firmware: Firmware[] }>('/firmware'),
      ]);
      if (stopped) return;
      firmware = fw.firmware;
      renderCampaigns(campaigns);
      renderFirmware();
      if (selected) {
        const d = await api<{ campaign: Campaign; devices: CampaignDevice[] }>(`/ota/campaigns/${selected}`);
        if (!stopped) renderDetail(d.campaign, d.devices);
      }
    } catch (err) {
      if (!stopped) replace(campaignsHost, errorBox(describeError(err)));
    }
  }

  function actionButton(c: Campaign, action: 'pause' | 'resume' | 'abort', label: string): HTMLElement {
    return h(
      'button',
      {
        type: 'button',
        class: action === 'abort' ? 'btn btn-danger' : 'btn',
        testid: `ota-${action}-${c.version}`,
        onclick: (e: Event) => {
          e.stopPropagation();
          void act(c, action);
        },
      },
      label,
    );
  }

  function renderCampaigns(list: Campaign[]): void {
    if (list.length === 0) {
      replace(
        campaignsHost,
        emptyState(
          'No campaign yet.',
          'Upload a signed image with `vigil firmware add`, then start a campaign.',
        ),
      );
      return;
    }
    const head = ['Version', 'Target', 'State', 'Progress', 'Waves', 'Failed', 'Started', ''];
    replace(
      campaignsHost,
      h(
        'table',
        { class: 'table table-responsive table-compact', testid: 'ota-campaign-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            head.map((t) => h('th', null, t)),
          ),
        ),
        h(
          'tbody',
          null,
          list.map((c) =>
            h(
              'tr',
              {
                class: c.id === selected ? 'row-selected clickable' : 'clickable',
                testid: `ota-campaign-${c.version}`,
                onclick: () => {
                  selected = c.id === selected ? null : c.id;
                  if (!selected) replace(detailHost);
                  void refresh();
                },
              },
              h('td', { 'data-label': 'Version' }, h('strong', null, c.version)),
              h(
                'td',
                { 'data-label': 'Target' },
                'profile' in c.target ? c.target.profile : `${c.target.devices.length} device(s)`,
              ),
              h(
                'td',
                { 'data-label': 'State' },
                badge(tone(c.state), c.state, undefined, `ota-state-${c.version}`),
                c.reason && c.state !== 'completed'
                  ? h('span', { class: 'muted small' }, ` ${c.reason}`)
                  : null,
              ),
              h(
                'td',
                { 'data-label': 'Progress' },
                progress(c),
                h('span', { class: 'muted small' }, `${c.counts.succeeded}/${c.devices}`),
              ),
              h(
                'td',
                { 'data-label': 'Waves', class: 'num' },
                `${c.wavesReleased}/${c.waves} · ${c.wavePct}%`,
              ),
              h(
                'td',
                { 'data-label': 'Failed', class: 'num' },
                `${c.counts.failed} (max ${c.maxFailuresPct}%)`,
              ),
              h('td', { 'data-label': 'Started', class: 'cell-nowrap' }, timeAgo(ms(c.createdAt))),
              h(
                'td',
                { class: 'cell-actions' },
                canControl && c.state === 'running' ? actionButton(c, 'pause', 'Pause') : null,
                canControl && c.state === 'paused' ? actionButton(c, 'resume', 'Resume') : null,
                canControl && (c.state === 'running' || c.state === 'paused')
                  ? actionButton(c, 'abort', 'Abort')
                  : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  function renderDetail(c: Campaign, devices: CampaignDevice[]): void {
    replace(
      detailHost,
      card(
        `Campaign ${c.version} · devices`,
        h(
          'table',
          { class: 'table table-compact', testid: 'ota-device-table' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['Device', 'Wave', 'State', 'Download', 'Running', 'Error'].map((t) => h('th', null, t)),
            ),
          ),
          h(
            'tbody',
            null,
            devices.map((d) =>
              h(
                'tr',
                { testid: `ota-device-${d.deviceId}` },
                h('td', null, h('a', { href: `#/device/${encodeURIComponent(d.deviceId)}` }, d.deviceId)),
                h('td', { class: 'num' }, String(d.wave + 1)),
                h('td', null, badge(tone(d.state), d.state)),
                h('td', { class: 'num' }, `${d.progressPct}%`),
                h('td', { testid: `ota-running-${d.deviceId}` }, d.runningVersion ?? '—'),
                h('td', { class: 'muted' }, d.error ?? ''),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function renderFirmware(): void {
    replace(
      firmwareHost,
      firmware.length === 0
        ? emptyState(
            'No firmware uploaded.',
            'Sign images offline with `vigil firmware sign`, upload them with `vigil firmware add`.',
          )
        : h(
            'table',
            { class: 'table table-compact', testid: 'ota-firmware-table' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Version', 'Profile', 'Size', 'Security counter', 'SHA-256', 'Key', 'Uploaded'].map((t) =>
                  h('th', null, t),
                ),
              ),
            ),
            h(
              'tbody',
              null,
              firmware.map((f) =>
                h(
                  'tr',
                  null,
                  h('td', null, h('strong', null, f.version)),
                  h('td', null, f.profile),
                  h('td', { class: 'num' }, `${Math.round(f.size / 1024)} KiB`),
                  h('td', { class: 'num' }, String(f.securityCounter)),
                  h('td', { class: 'mono small' }, `${f.sha256.slice(0, 16)}…`),
                  h('td', { class: 'mono small' }, f.keyId),
                  h('td', { class: 'cell-nowrap' }, timeAgo(ms(f.addedAt))),
                ),
              ),
            ),
          ),
    );
  }

  async function act(c: Campaign, action: 'pause' | 'resume' | 'abort'): Promise<void> {
    if (action === 'abort') {
      const ok = await confirmDialog(
        `Abort campaign ${c.version}?`,
        'Devices that have not finished are cancelled; a device already installing may still finish.',
        'Abort',
        true,
        'ota-abort-dialog',
      );
      if (!ok) return;
    }
    try {
      await api(`/ota/campaigns/${c.id}/${action}`, { method: 'POST', body: {} });
      toast(
        `Campaign ${c.version}: ${action === 'abort' ? 'aborted' : action === 'pause' ? 'paused' : 'resumed'}`,
        'ok',
      );
      await refresh();
    } catch (err) {
      toast(describeError(err), 'bad');
    }
  }

  async function start(): Promise<void> {
    if (firmware.length === 0) {
      toast('Upload a signed image first (vigil firmware add).', 'info');
      return;
    }
    const version = h(
      'select',
      { testid: 'ota-version' },
      firmware.map((f) => h('option', { value: f.version }, `${f.version} (${f.profile})`)),
    ) as HTMLSelectElement;
    const devices = h('input', {
      type: 'text',
      placeholder: 'all devices of the profile',
      testid: 'ota-devices',
    }) as HTMLInputElement;
    const wave = h('input', {
      type: 'number',
      min: '1',
      max: '100',
      value: '10',
      testid: 'ota-wave',
    }) as HTMLInputElement;
    const maxFail = h('input', {
      type: 'number',
      min: '0',
      max: '100',
      value: '5',
      testid: 'ota-max-failures',
    }) as HTMLInputElement;
    const body = await openDialog<Record<string, unknown>>(
      'New OTA campaign',
      (close) => ({
        body: [
          field('Version', version),
          field('Devices', devices, 'Comma-separated ids; empty: every enabled device of the image profile.'),
          field('Wave size (%)', wave),
          field('Pause when failures exceed (%)', maxFail),
        ],
        footer: [
          h('button', { type: 'button', class: 'btn', onclick: () => close(null) }, 'Cancel'),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary',
              testid: 'ota-start-confirm',
              onclick: () => {
                const fw = firmware.find((f) => f.version === version.value);
                const ids = devices.value
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean);
                close({
                  version: version.value,
                  ...(ids.length ? { devices: ids } : { profile: fw?.profile }),
                  wavePct: Number(wave.value),
                  maxFailuresPct: Number(maxFail.value),
                });
              },
            },
            'Start',
          ),
        ],
      }),
      { testid: 'ota-start-dialog' },
    );
    if (!body) return;
    try {
      const r = await api<{ campaign: Campaign }>('/ota/campaigns', { method: 'POST', body });
      selected = r.campaign.id;
      toast(`Campaign ${r.campaign.version} started`, 'ok');
      await refresh();
    } catch (err) {
      toast(describeError(err), 'bad');
    }
  }

  void refresh();
  const timer = setInterval(() => void refresh(), 2000);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
};
