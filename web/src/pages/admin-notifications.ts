/**
 * Admin → Notifications (notifications.manage: admin with MFA; every change audited): channels,
 * contacts, contact groups, routing rules, escalation policies and on-call schedules.
 */
import { h, replace } from '../dom.ts';
import { absTime } from '../format.ts';
import { badge, field, segmented } from '../ui/components.ts';
import { channelsSection } from './admin-notify-channels.ts';
import {
  checks,
  type Entity,
  entitySection,
  type Lookups,
  list,
  opt,
  select,
  targetEditor,
  text,
} from './admin-notify-forms.ts';
import './admin-notifications.css';

type Section = 'channels' | 'contacts' | 'groups' | 'rules' | 'policies' | 'schedules';
const SECTIONS: { value: Section; label: string }[] = [
  { value: 'rules', label: 'Routing rules' },
  { value: 'policies', label: 'Escalation' },
  { value: 'schedules', label: 'On call' },
  { value: 'contacts', label: 'Contacts' },
  { value: 'groups', label: 'Groups' },
  { value: 'channels', label: 'Channels' },
];
let current: Section = 'rules';

const LEVELS = ['info', 'warning', 'critical', 'regulatory'].map((v) => ({ value: v, label: v }));
const PROFILES = [
  'vaccine-transport',
  'temperature-probe',
  'patient-vitals',
  'refrigerated',
  'frozen',
  'ultra-cold',
  'crt',
  'custom',
].map((v) => ({ value: v, label: v }));
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d, i) => ({
  value: String(i + 1),
  label: d,
}));
/** A schedule override as the API sends it (times ISO 8601 UTC). */
type Override = { contact: string; from: string; to: string };
const nameOf = (l: Entity[], id: unknown) => String(l.find((x) => x.id === id)?.name ?? id);

interface T {
  type: string;
  id: string;
  channels: string[];
}
const targetsText = (ts: unknown, l: Lookups) =>
  ((ts as T[]) ?? [])
    .map((t) => {
      const who =
        t.type === 'schedule'
          ? `on call ${nameOf(l.schedules, t.id)}`
          : t.type === 'group'
            ? nameOf(l.groups, t.id)
            : nameOf(l.contacts, t.id);
      return `${who} (${t.channels.join(', ')})`;
    })
    .join('; ');

export function notificationsTab(host: HTMLElement): void {
  const body = h('div');
  const show = () => {
    if (current === 'channels') return channelsSection(body);
    entitySection(body, SPECS[current]);
  };
  replace(
    host,
    h(
      'div',
      { class: 'toolbar notify-sections' },
      segmented<Section>(
        'Section',
        SECTIONS.map((s) => ({ ...s, testid: `notify-section-${s.value}` })),
        current,
        (v) => {
          current = v;
          show();
        },
      ),
    ),
    body,
  );
  show();
}

const idInput = (e: Entity | null) =>
  text(e?.id, {
    required: true,
    maxlength: 48,
    disabled: e !== null,
    testid: 'notify-id',
    placeholder: 'lower-case-id',
  });

const SPECS: Record<Exclude<Section, 'channels'>, Parameters<typeof entitySection>[1]> = {
  contacts: {
    path: 'contacts',
    title: 'Contacts',
    noun: 'contact',
    hint: 'People and endpoints, with an address per channel. A webhook contact gets a signing secret, shown once.',
    columns: ['Id', 'Name', 'E-mail', 'Phone', 'Webhook', 'Browser user'],
    cells: (e) => [
      e.id,
      String(e.name ?? ''),
      String(e.email ?? '–'),
      String(e.phone ?? '–'),
      String(e.webhookUrl ?? '–'),
      String(e.user ?? '–'),
    ],
    form(e) {
      const id = idInput(e);
      const name = text(e?.name, { required: true, testid: 'contact-name' });
      const email = text(e?.email, { type: 'email', testid: 'contact-email' });
      const phone = text(e?.phone, { placeholder: '+31612345678', testid: 'contact-phone' });
      const webhook = text(e?.webhookUrl, { placeholder: 'https://…', testid: 'contact-webhook' });
      const user = text(e?.user, { placeholder: 'dashboard user name', testid: 'contact-user' });
      return {
        body: h(
          'div',
          null,
          field('Id', id),
          field('Name', name),
          field('E-mail', email),
          field('Phone (SMS and voice)', phone, 'E.164: + and country code.'),
          field('Webhook URL', webhook, 'HTTPS only; requests are signed (docs/alarms.md, Webhooks).'),
          field(
            'Dashboard user',
            user,
            'Browser notifications go to the browsers this user turned them on in.',
          ),
        ),
        read: () => ({
          id: id.value.trim(),
          name: name.value.trim(),
          email: opt(email),
          phone: opt(phone),
          webhookUrl: opt(webhook),
          user: opt(user),
        }),
      };
    },
    onSaved(r) {
      if (typeof r.webhookSecret === 'string')
        window.alert(`Webhook signing secret (shown only now):\n\n${r.webhookSecret}`);
    },
  },
  groups: {
    path: 'groups',
    title: 'Contact groups',
    noun: 'group',
    hint: 'Contacts addressed together, such as the operators’ e-mail list.',
    columns: ['Id', 'Name', 'Members'],
    cells: (e, l) => [
      e.id,
      String(e.name ?? ''),
      ((e.members as string[]) ?? []).map((m) => nameOf(l.contacts, m)).join(', '),
    ],
    form(e, l) {
      const id = idInput(e);
      const name = text(e?.name, { required: true });
      const members = checks(
        l.contacts.map((c) => ({ value: c.id, label: String(c.name ?? c.id) })),
        (e?.members as string[]) ?? [],
        'group-member',
      );
      return {
        body: h('div', null, field('Id', id), field('Name', name), field('Members', members.el)),
        read: () => ({ id: id.value.trim(), name: name.value.trim(), members: members.read() }),
      };
    },
  },
  schedules: {
    path: 'schedules',
    title: 'On-call schedules',
    noun: 'schedule',
    hint: 'Weekly rotations: members take turns a week each, handing over at the set day and time. Overrides cover swaps and holidays.',
    columns: ['Id', 'Name', 'Rotation', 'Handoff', 'Overrides'],
    cells: (e, l) => [
      e.id,
      String(e.name ?? ''),
      ((e.members as string[]) ?? []).map((m) => nameOf(l.contacts, m)).join(' → '),
      `${DAYS[Number(e.handoffDay ?? 1) - 1]?.label} ${String(e.handoffTime ?? '09:00')} ${String(e.timeZone ?? 'UTC')}`,
      ((e.overrides as Override[]) ?? [])
        .map((o) => `${nameOf(l.contacts, o.contact)} ${absTime(o.from)} – ${absTime(o.to)}`)
        .join('; ') || '–',
    ],
    form(e, l) {
      const id = idInput(e);
      const name = text(e?.name, { required: true });
      const tz = text(e?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone, {
        testid: 'schedule-tz',
      });
      const start = text(e?.startDate ?? new Date().toISOString().slice(0, 10), { type: 'date' });
      const day = select(DAYS, String(e?.handoffDay ?? 1));
      const time = text(e?.handoffTime ?? '09:00', { type: 'time' });
      const members = text(((e?.members as string[]) ?? []).join(', '), {
        testid: 'schedule-members',
        placeholder: 'contact ids in turn order',
      });
      const overrides = h('textarea', {
        rows: 3,
        placeholder: 'contact-id, 2026-12-24T18:00, 2026-12-27T09:00 (one per line)',
      });
      // The API sends ISO 8601 UTC; the field shows minutes, in UTC.
      overrides.value = ((e?.overrides as Override[]) ?? [])
        .map((o) => `${o.contact}, ${o.from.slice(0, 16)}, ${o.to.slice(0, 16)}`)
        .join('\n');
      return {
        body: h(
          'div',
          null,
          field('Id', id),
          field('Name', name),
          field('Time zone', tz, 'IANA name, e.g. Europe/Amsterdam'),
          field('First week starts', start),
          field('Handoff day', day),
          field('Handoff time', time),
          field(
            'Members in turn order',
            members,
            `Contacts: ${l.contacts.map((c) => c.id).join(', ') || 'none yet'}`,
          ),
          field('Overrides', overrides, 'Times in UTC.'),
        ),
        read: () => ({
          id: id.value.trim(),
          name: name.value.trim(),
          timeZone: tz.value.trim() || 'UTC',
          startDate: start.value,
          handoffDay: Number(day.value),
          handoffTime: time.value || '09:00',
          members: list(members) ?? [],
          overrides: (list(overrides) ? overrides.value.split('\n').filter((x) => x.trim()) : []).map(
            (line) => {
              const [contact = '', from = '', to = ''] = line.split(',').map((x) => x.trim());
              const f = Date.parse(`${from}Z`);
              const t = Date.parse(`${to}Z`);
              if (!contact || !Number.isFinite(f) || !Number.isFinite(t))
                throw new Error(`Override "${line}": contact, from, to`);
              return { contact, from: new Date(f).toISOString(), to: new Date(t).toISOString() };
            },
          ),
        }),
      };
    },
  },
  policies: {
    path: 'policies',
    title: 'Escalation policies',
    noun: 'policy',
    hint: 'Not acknowledged within the first delay: level 1; every repeat interval after: the next level; the last level repeats. Acknowledgement stops it.',
    columns: ['Id', 'Name', 'Timeline', 'Levels'],
    cells: (e, l) => [
      e.id,
      String(e.name ?? ''),
      `after ${String(e.ackTimeoutMinutes)} min, then every ${String(e.repeatMinutes)} min (last level ×${String(e.finalRepeats ?? 3)})`,
      ((e.levels as { targets: unknown }[]) ?? [])
        .map((lv, i) => `${i + 1}: ${targetsText(lv.targets, l)}`)
        .join(' | '),
    ],
    form(e, l) {
      const id = idInput(e);
      const name = text(e?.name, { required: true });
      const ack = text(e?.ackTimeoutMinutes ?? 15, { type: 'number', min: 1, testid: 'policy-ack' });
      const rep = text(e?.repeatMinutes ?? 15, { type: 'number', min: 1 });
      const fin = text(e?.finalRepeats ?? 3, { type: 'number', min: 0 });
      const levels = ((e?.levels as { targets: T[] }[]) ?? [{ targets: [] }]).map((lv) =>
        targetEditor(lv.targets, l, 'policy-level'),
      );
      const levelsHost = h(
        'div',
        null,
        levels.map((ed, i) => field(`Level ${i + 1}`, ed.el)),
      );
      const addLevel = h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small',
          onclick: () => {
            const ed = targetEditor([], l, `policy-level-${levels.length}`);
            levels.push(ed);
            levelsHost.append(field(`Level ${levels.length}`, ed.el));
          },
        },
        'Add level',
      );
      return {
        body: h(
          'div',
          null,
          field('Id', id),
          field('Name', name),
          field('First escalation after (minutes without acknowledgement)', ack),
          field('Next level every (minutes)', rep),
          field('Repeats of the last level', fin),
          levelsHost,
          addLevel,
        ),
        read: () => ({
          id: id.value.trim(),
          name: name.value.trim(),
          ackTimeoutMinutes: Number(ack.value),
          repeatMinutes: Number(rep.value),
          finalRepeats: Number(fin.value),
          levels: levels.map((ed) => ({ targets: ed.read() })),
        }),
      };
    },
  },
  rules: {
    path: 'rules',
    title: 'Routing rules',
    noun: 'rule',
    hint: 'Which alarms go to whom: by level, rule, profile, device group, shipment and time of day. Every matching rule applies.',
    columns: ['Id', 'When', 'Notify', 'Escalation', 'State'],
    cells: (e, l) => {
      const m = (e.match ?? {}) as Record<string, unknown>;
      const when = [
        m.levels ? `level ${(m.levels as string[]).join('/')}` : null,
        m.rules ? `rule ${(m.rules as string[]).join(', ')}` : null,
        m.profiles ? `profile ${(m.profiles as string[]).join(', ')}` : null,
        m.devices ? `devices ${(m.devices as string[]).join(', ')}` : null,
        m.shipments ? `shipments ${(m.shipments as string[]).join(', ')}` : null,
        m.timeWindows ? 'at set times' : null,
      ].filter(Boolean);
      return [
        h('div', null, h('strong', null, e.id), h('div', { class: 'muted small' }, String(e.name ?? ''))),
        when.join('; ') || 'every alarm',
        targetsText(e.targets, l),
        e.escalationPolicy ? nameOf(l.policies, e.escalationPolicy) : '–',
        e.enabled === false ? badge('off', 'Off') : badge('ok', 'On'),
      ];
    },
    form(e, l) {
      const m = (e?.match ?? {}) as Record<string, unknown>;
      const id = idInput(e);
      const name = text(e?.name, { required: true, testid: 'rule-name' });
      const enabled = h('input', { type: 'checkbox' });
      enabled.checked = e?.enabled !== false;
      const levels = checks(LEVELS, (m.levels as string[]) ?? [], 'rule-level');
      const profiles = checks(PROFILES, (m.profiles as string[]) ?? []);
      const rules = text(((m.rules as string[]) ?? []).join(', '), {
        placeholder: 'heat, freeze, warning:*',
      });
      const devices = text(((m.devices as string[]) ?? []).join(', '), {
        placeholder: 'sim-truck-*',
        testid: 'rule-devices',
      });
      const shipments = text(((m.shipments as string[]) ?? []).join(', '), { placeholder: '* or shp-…' });
      const win = ((m.timeWindows as { days: number[]; from: string; to: string }[]) ?? [])[0];
      const days = checks(DAYS, (win?.days ?? []).map(String));
      const from = text(win?.from ?? '', { type: 'time' });
      const to = text(win?.to ?? '', { type: 'time' });
      const tz = text(e?.timeZone ?? 'UTC');
      const targets = targetEditor((e?.targets as T[]) ?? [], l, 'rule-target');
      const policy = select(
        [
          { value: '', label: 'None' },
          ...l.policies.map((p) => ({ value: p.id, label: String(p.name ?? p.id) })),
        ],
        e?.escalationPolicy ?? '',
        'rule-policy',
      );
      return {
        body: h(
          'div',
          null,
          field('Id', id),
          field('Name', name),
          h('label', { class: 'check' }, enabled, h('span', null, 'Enabled')),
          field('Levels (none = all)', levels.el),
          field('Profiles (none = all)', profiles.el, 'Device profiles or shipment temperature profiles.'),
          field('Alarm rules', rules, 'Rule ids or patterns, comma separated; empty = all.'),
          field('Device group', devices, 'Device ids or patterns, comma separated; empty = all.'),
          field('Shipments', shipments, '* = any device on a trip; empty = all.'),
          field('Time of day (none = always)', h('div', { class: 'check-row' }, days.el, from, '–', to)),
          field('Time zone', tz),
          field('Notify', targets.el),
          field('Escalation policy', policy),
        ),
        read: () => {
          const d = days.read().map(Number);
          return {
            id: id.value.trim(),
            name: name.value.trim(),
            enabled: enabled.checked,
            timeZone: tz.value.trim() || 'UTC',
            match: {
              ...(levels.read().length ? { levels: levels.read() } : {}),
              ...(profiles.read().length ? { profiles: profiles.read() } : {}),
              ...(list(rules) ? { rules: list(rules) } : {}),
              ...(list(devices) ? { devices: list(devices) } : {}),
              ...(list(shipments) ? { shipments: list(shipments) } : {}),
              ...(d.length && from.value && to.value
                ? { timeWindows: [{ days: d, from: from.value, to: to.value }] }
                : {}),
            },
            targets: targets.read(),
            ...(policy.value ? { escalationPolicy: policy.value } : {}),
          };
        },
      };
    },
  },
};
