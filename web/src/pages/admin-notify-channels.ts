/**
 * Admin → Notifications → Channels: SMTP, the SMS/voice provider, webhooks and Web Push. A
 * credential is write-only: the page shows whether one is set, never its value. Each channel has
 * a "Send test" that reports the provider's answer.
 */
import { api, describeError } from '../api.ts';
import { h, replace } from '../dom.ts';
import { absTime } from '../format.ts';
import type { ChannelView } from '../types.ts';
import { badge, card, errorBox, field, loading, toast } from '../ui/components.ts';
import { CHANNEL_OPTIONS, opt, select, text } from './admin-notify-forms.ts';

const TITLES: Record<ChannelView['channel'], string> = {
  email: 'E-mail (SMTP)',
  sms: 'SMS and voice (provider API)',
  webhook: 'Webhooks',
  push: 'Browser notifications (Web Push)',
};

export function channelsSection(host: HTMLElement): void {
  replace(host, loading());
  api<{ channels: ChannelView[]; vapidPublicKey: string | null }>('/notifications/channels').then(
    (r) =>
      replace(
        host,
        h(
          'div',
          { class: 'notify-channels' },
          r.channels.map((c) => channelCard(c)),
          testCard(),
        ),
      ),
    (err) => replace(host, errorBox(describeError(err))),
  );
}

function channelCard(c: ChannelView): HTMLElement {
  const s = c.settings ?? {};
  const inputs: Record<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement> = {};
  const fields: HTMLElement[] = [];
  const ca = h('textarea', { rows: 2, placeholder: '-----BEGIN CERTIFICATE----- (only for a private CA)' });
  ca.value = typeof s.caPem === 'string' ? s.caPem : '';
  const secret = h('input', {
    type: 'password',
    autocomplete: 'new-password',
    testid: `channel-${c.channel}-secret`,
  });
  if (c.channel === 'email') {
    inputs.host = text(s.host, { testid: 'channel-email-host' });
    inputs.port = text(s.port ?? 587, { type: 'number', testid: 'channel-email-port' });
    inputs.security = select(
      [
        { value: 'starttls', label: 'STARTTLS (port 587)' },
        { value: 'tls', label: 'TLS (port 465)' },
      ],
      s.security ?? 'starttls',
    );
    inputs.user = text(s.user);
    inputs.from = text(s.from, { placeholder: 'Vigil <vigil@example.org>', testid: 'channel-email-from' });
    fields.push(
      field('SMTP host', inputs.host),
      field('Port', inputs.port),
      field('Security', inputs.security, 'Plain SMTP is never used.'),
      field('User', inputs.user),
      field('Password', secret, c.hasSecret ? 'Set. Leave empty to keep it.' : 'Not set.'),
      field('From', inputs.from),
    );
  } else if (c.channel === 'sms') {
    inputs.preset = select(
      [
        { value: 'twilio', label: 'Twilio (or a compatible API)' },
        { value: 'custom', label: 'Custom HTTPS API' },
      ],
      s.preset ?? 'twilio',
    );
    inputs.baseUrl = text(s.baseUrl, { placeholder: 'https://api.twilio.com' });
    inputs.accountId = text(s.accountId, { placeholder: 'Account SID' });
    inputs.from = text(s.from, { placeholder: '+15005550006' });
    const api = h('textarea', { rows: 3, placeholder: '{"smsPath":"/v1/sms", …} (custom only)' });
    api.value = s.api ? JSON.stringify(s.api) : '';
    inputs.api = api;
    fields.push(
      field('Provider', inputs.preset),
      field('API base URL', inputs.baseUrl),
      field('Account id', inputs.accountId),
      field('Token', secret, c.hasSecret ? 'Set. Leave empty to keep it.' : 'Not set.'),
      field('Sender', inputs.from),
      field(
        'Custom API description (JSON)',
        api,
        'Paths, encoding, auth and field names; see docs/alarms.md.',
      ),
    );
  } else if (c.channel === 'push') {
    inputs.subject = text(s.subject, { placeholder: 'mailto:ops@example.org' });
    fields.push(field('Contact for push services (VAPID subject)', inputs.subject));
  } else {
    fields.push(
      h(
        'p',
        { class: 'hint' },
        'Each webhook contact has its own signing secret. Webhooks are always HTTPS.',
      ),
    );
  }
  fields.push(field('Extra trusted CA (PEM)', ca));
  const err = h('div', { class: 'form-error' });
  const save = h(
    'button',
    { type: 'button', class: 'btn btn-primary', testid: `channel-${c.channel}-save` },
    'Save',
  );
  save.addEventListener('click', async () => {
    err.replaceChildren();
    const settings: Record<string, unknown> = {};
    for (const [k, i] of Object.entries(inputs)) {
      const v = i.value.trim();
      if (!v) continue;
      if (k === 'port') settings[k] = Number(v);
      else if (k === 'api') {
        try {
          settings[k] = JSON.parse(v);
        } catch {
          return void err.append(errorBox('The custom API description is not valid JSON.'));
        }
      } else settings[k] = v;
    }
    if (ca.value.trim()) settings.caPem = ca.value.trim();
    save.disabled = true;
    try {
      const body: Record<string, unknown> = { settings };
      if (secret.value) body.secret = secret.value;
      await api(`/notifications/channels/${c.channel}`, { method: 'PUT', body });
      secret.value = '';
      toast(`${TITLES[c.channel]} saved.`, 'ok');
    } catch (e) {
      err.append(errorBox(describeError(e)));
    }
    save.disabled = false;
  });
  const state = c.settings
    ? badge('ok', `Set up${c.updatedAt ? ` ${absTime(c.updatedAt).slice(0, 10)}` : ''}`, 'check')
    : badge('off', 'Not set up');
  return card(
    TITLES[c.channel],
    h('div', { class: 'form' }, fields, err, h('div', { class: 'form-actions' }, save)),
    {
      actions: state,
    },
  );
}

function testCard(): HTMLElement {
  const channel = select(CHANNEL_OPTIONS, 'email', 'test-channel');
  const to = text('', {
    placeholder: 'address, +number, webhook contact id or user name',
    testid: 'test-to',
  });
  const out = h('div', { class: 'muted small', testid: 'test-result' });
  const send = h('button', { type: 'button', class: 'btn', testid: 'test-send' }, 'Send test');
  send.addEventListener('click', async () => {
    const dest = opt(to);
    if (!dest) {
      out.textContent = 'Give a recipient.';
      return;
    }
    send.disabled = true;
    out.textContent = 'Sending…';
    try {
      const r = await api<{
        notifications: { state: string; recipient: string; lastResponse: string | null }[];
      }>('/notifications/test', {
        method: 'POST',
        body: { channel: channel.value, to: dest },
      });
      out.textContent = r.notifications
        .map((n) => `${n.state === 'sent' ? 'Sent' : 'Failed'} to ${n.recipient}: ${n.lastResponse ?? ''}`)
        .join(' · ');
    } catch (e) {
      out.textContent = describeError(e);
    }
    send.disabled = false;
  });
  return card(
    'Send a test',
    h(
      'div',
      { class: 'form' },
      field('Channel', channel),
      field('To', to),
      h('div', { class: 'form-actions' }, send),
      out,
    ),
  );
}
