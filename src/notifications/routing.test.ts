import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Schedule } from './notification-model.ts';
import { onCallAt } from './on-call.ts';
import { type AlarmFacts, globMatch, matches, resolveTargets } from './routing.ts';

const facts = (over: Partial<AlarmFacts> = {}): AlarmFacts => ({
  level: 'critical',
  rule: 'critical:above',
  subject: 'sim-truck-001',
  profiles: ['vaccine-transport', 'refrigerated'],
  shipmentId: 'shp-abcdefghij',
  at: Date.UTC(2026, 11, 7, 12, 0), // Monday 12:00 UTC = 13:00 in Amsterdam
  ...over,
});

describe('routing', () => {
  it('matches every criterion given: level, rule pattern, profile, device group, shipment', () => {
    assert.ok(matches({}, facts(), 'UTC'), 'an empty match takes everything');
    assert.ok(
      matches(
        { levels: ['critical'], rules: ['critical:*'], profiles: ['refrigerated'], devices: ['sim-truck-*'] },
        facts(),
        'UTC',
      ),
    );
    assert.ok(!matches({ levels: ['warning'] }, facts(), 'UTC'));
    assert.ok(!matches({ rules: ['heat', 'freeze'] }, facts(), 'UTC'));
    assert.ok(!matches({ profiles: ['frozen'] }, facts(), 'UTC'));
    assert.ok(!matches({ devices: ['sim-probe-*'] }, facts(), 'UTC'));
    assert.ok(matches({ shipments: ['*'] }, facts(), 'UTC'));
    assert.ok(
      !matches({ shipments: ['*'] }, facts({ shipmentId: null }), 'UTC'),
      'any shipment: not without one',
    );
    assert.ok(!matches({ shipments: ['shp-zzzzzzzzzz'] }, facts(), 'UTC'));
    assert.equal(globMatch('budget:*', 'budget:above-8'), true);
    assert.equal(globMatch('a.b', 'axb'), false, 'dots are literal');
  });

  it('judges time windows in the rule’s time zone, also past midnight', () => {
    const office = { days: [1, 2, 3, 4, 5], from: '08:00', to: '13:00' };
    assert.ok(matches({ timeWindows: [office] }, facts(), 'UTC'), '12:00 UTC');
    assert.ok(!matches({ timeWindows: [office] }, facts(), 'Europe/Amsterdam'), '13:00 local is outside');
    const night = { days: [7], from: '22:00', to: '06:00' };
    assert.ok(
      matches({ timeWindows: [night] }, facts({ at: Date.UTC(2026, 11, 7, 3, 0) }), 'UTC'),
      'Monday 03:00 belongs to Sunday night',
    );
    assert.ok(
      !matches({ timeWindows: [night] }, facts({ at: Date.UTC(2026, 11, 7, 23, 0) }), 'UTC'),
      'Monday 23:00 does not',
    );
  });

  it('resolves groups and schedules to people, once per channel, with gaps recorded', () => {
    const contacts = new Map([
      ['a', { id: 'a', name: 'A', email: 'a@example.org' }],
      ['b', { id: 'b', name: 'B', phone: '+31600000002' }],
    ]);
    const schedule: Schedule = {
      id: 's',
      name: 'S',
      timeZone: 'UTC',
      startDate: '2026-12-07',
      handoffDay: 1,
      handoffTime: '09:00',
      members: ['b', 'a'],
      overrides: [],
    };
    const r = resolveTargets(
      [
        { type: 'group', id: 'g', channels: ['email', 'sms'] },
        { type: 'contact', id: 'a', channels: ['email'] },
        { type: 'schedule', id: 's', channels: ['sms'] },
      ],
      {
        contacts,
        groups: new Map([['g', { id: 'g', name: 'G', members: ['a', 'b'] }]]),
        schedules: new Map([['s', schedule]]),
      },
      Date.UTC(2026, 11, 7, 10),
    );
    assert.deepEqual(
      r.map((x) => `${x.channel}:${x.contactId}:${x.address}:${x.via}`),
      [
        'email:a:a@example.org:group:g',
        'sms:a:null:group:g',
        'email:b:null:group:g',
        'sms:b:+31600000002:group:g',
      ],
    );
  });
});

describe('on call', () => {
  const s: Schedule = {
    id: 'q',
    name: 'Quality',
    timeZone: 'Europe/Amsterdam',
    startDate: '2026-03-23',
    handoffDay: 1,
    handoffTime: '09:00',
    members: ['ann', 'bob', 'cem'],
    overrides: [],
  };

  it('rotates weekly at the local handoff time, across a daylight-saving change', () => {
    assert.equal(onCallAt(s, Date.UTC(2026, 2, 23, 7, 59)).contact, null, 'before the first handoff: nobody');
    assert.equal(onCallAt(s, Date.UTC(2026, 2, 23, 8, 0)).contact, 'ann', '09:00 CET = 08:00 UTC');
    // 29 March 2026: clocks go forward; the next Monday 09:00 CEST is 07:00 UTC.
    assert.equal(onCallAt(s, Date.UTC(2026, 2, 30, 6, 59)).contact, 'ann');
    const bob = onCallAt(s, Date.UTC(2026, 2, 30, 7, 0));
    assert.deepEqual(
      [bob.contact, bob.since, bob.until],
      ['bob', Date.UTC(2026, 2, 30, 7), Date.UTC(2026, 3, 6, 7)],
    );
    assert.equal(onCallAt(s, Date.UTC(2026, 3, 13, 7, 0)).contact, 'ann', 'the fourth week starts over');
  });

  it('lets the newest covering override win, only for its period', () => {
    const at = Date.UTC(2026, 3, 1, 12);
    const o = {
      ...s,
      overrides: [
        { contact: 'cem', from: at - 3_600_000, to: at + 3_600_000 },
        { contact: 'dan', from: at - 60_000, to: at + 60_000, reason: 'swap' },
      ],
    };
    assert.deepEqual(
      [onCallAt(o, at).contact, onCallAt(o, at).override, onCallAt(o, at).reason],
      ['dan', true, 'swap'],
    );
    assert.equal(onCallAt(o, at + 120_000).contact, 'cem');
    assert.equal(onCallAt(o, at + 7_200_000).contact, 'bob');
  });
});
