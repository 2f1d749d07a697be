/**
 * A patient monitor's bed and ward labels over real HTTPS with real sessions: set by an operator
 * with MFA (audited), shown to the roles that hold devices.labels.read (admin, operator, auditor)
 * and to no one else: not in the answers of a viewer, a quality or a receiver session or a viewer
 * token, not in any live-feed frame. Every refusal changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SESSION_COOKIE } from '../src/auth/sessions.ts';
import { apiRequest } from './helpers/api-client.ts';
import { type EnrolledUser, enrolledUser, errCode, passwordOnly } from './helpers/browser.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { LiveFeedClient } from './helpers/live-feed.ts';

/** Text that must appear nowhere a caller without devices.labels.read can read. */
const BED = 'Bed 14 (window)';
const WARD = 'Ward C – cardiology';

let inst: Instance;
let operator: EnrolledUser;
const others = new Map<string, EnrolledUser>();

before(async () => {
  inst = await startInstance({}, undefined, {
    webRoot: '/nonexistent-vigil-web',
    live: { sampleMs: 200, recheckMs: 300 },
  });
  await inst.addDevice('bed-lbl-01', 'patient-vitals');
  await inst.addDevice('truck-lbl-01');
  operator = await enrolledUser(inst, 'olga', 'operator');
  for (const role of ['admin', 'auditor', 'viewer', 'quality', 'receiver'] as const)
    others.set(role, await enrolledUser(inst, `lbl-${role}`, role));
});

after(async () => {
  await inst?.destroy();
});

const put = (u: EnrolledUser, id: string, body: unknown) =>
  u.browser.call(`/api/v1/devices/${id}/labels`, { method: 'PUT', body });
const stored = () => inst.ctx.deviceLabels?.listLabels();
const audited = () => inst.ctx.store.queryAudit({ action: 'device.labels', limit: 100 });

describe('bed and ward labels', () => {
  it('an operator with MFA sets them; the change is audited with who, the old and the new values', async () => {
    const r = await put(operator, 'bed-lbl-01', { bed: ` ${BED} `, ward: WARD });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { labels: { bed: BED, ward: WARD } });
    const [entry] = await audited();
    assert.equal(entry?.actor, 'user:olga');
    assert.equal(entry?.object, 'bed-lbl-01');
    assert.deepEqual(entry?.detail, { bed: BED, ward: WARD, previous: { bed: null, ward: null } });
  });

  it('admin, operator and auditor see them on the device list and the device', async () => {
    for (const u of [operator, others.get('admin'), others.get('auditor')]) {
      assert.ok(u);
      const list = await u.browser.call('/api/v1/devices');
      const row = (list.json as { devices: { id: string; labels?: unknown }[] }).devices.find(
        (d) => d.id === 'bed-lbl-01',
      );
      assert.deepEqual(row?.labels, { bed: BED, ward: WARD }, u.role);
      const one = await u.browser.call('/api/v1/devices/bed-lbl-01');
      assert.deepEqual((one.json as { device: { labels?: unknown } }).device.labels, {
        bed: BED,
        ward: WARD,
      });
      // A truck has no bed: no labels there, for anyone.
      const truck = await u.browser.call('/api/v1/devices/truck-lbl-01');
      assert.equal('labels' in (truck.json as { device: object }).device, false);
    }
  });

  it('viewer, quality and receiver never get them: not as a field, not as text anywhere in the answer', async () => {
    for (const role of ['viewer', 'quality', 'receiver']) {
      const u = others.get(role);
      assert.ok(u);
      for (const path of ['/api/v1/devices', '/api/v1/devices/bed-lbl-01']) {
        const r = await u.browser.call(path);
        assert.equal(r.status, 200, `${role} ${path}`);
        assert.ok(!r.text.includes(BED) && !r.text.includes(WARD), `${role} ${path} leaks a label`);
        assert.ok(!r.text.includes('"labels"'), `${role} ${path}`);
      }
    }
  });

  it('an API token of a viewer role gets no labels either', async () => {
    const admin = others.get('admin');
    assert.ok(admin);
    const t = await admin.browser.post('/api/v1/tokens', { label: 'ward display', role: 'viewer' });
    assert.equal(t.status, 201, t.text);
    const r = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      path: '/api/v1/devices/bed-lbl-01',
      headers: { authorization: `Bearer ${(t.json as { token: string }).token}` },
    });
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes(BED) && !r.text.includes('"labels"'));
  });

  it('refuses a viewer, an auditor and a password-only operator who try to set them, and changes nothing', async () => {
    const before = await stored();
    const auditBefore = (await audited()).length;
    for (const role of ['viewer', 'auditor', 'quality', 'receiver']) {
      const u = others.get(role);
      assert.ok(u);
      const r = await put(u, 'bed-lbl-01', { bed: 'Bed 1', ward: 'Ward A' });
      assert.equal(r.status, 403, `${role}: ${r.text}`);
      assert.equal(errCode(r), 'VIGIL_ERR_FORBIDDEN');
    }
    const half = await passwordOnly(inst, 'olga', operator.password);
    const r = await half.call('/api/v1/devices/bed-lbl-01/labels', {
      method: 'PUT',
      body: { bed: 'Bed 1', ward: 'Ward A' },
    });
    assert.equal(r.status, 403);
    assert.equal(errCode(r), 'VIGIL_ERR_MFA_REQUIRED');
    const none = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      method: 'PUT',
      path: '/api/v1/devices/bed-lbl-01/labels',
      headers: { origin: inst.httpUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ bed: 'Bed 1', ward: 'Ward A' }),
    });
    assert.equal(none.status, 401);
    assert.deepEqual(await stored(), before);
    assert.equal((await audited()).length, auditBefore);
  });

  it('refuses bad labels and devices that carry none with a clear error, and changes nothing', async () => {
    const before = await stored();
    const cases: [string, unknown, number, string][] = [
      ['truck-lbl-01', { bed: '1', ward: 'A' }, 400, 'VIGIL_ERR_USAGE'],
      ['bed-lbl-99', { bed: '1', ward: 'A' }, 404, 'VIGIL_ERR_NOT_FOUND'],
      ['bed-lbl-01', { bed: 'x'.repeat(41), ward: 'A' }, 400, 'VIGIL_ERR_VALIDATION'],
      ['bed-lbl-01', { bed: 'Bed\n4', ward: 'A' }, 400, 'VIGIL_ERR_VALIDATION'],
      ['bed-lbl-01', { bed: '4' }, 400, 'VIGIL_ERR_VALIDATION'],
      ['bed-lbl-01', { bed: '4', ward: 'A', room: '2' }, 400, 'VIGIL_ERR_VALIDATION'],
      ['bed-lbl-01', { bed: 4, ward: 'A' }, 400, 'VIGIL_ERR_VALIDATION'],
    ];
    for (const [id, body, status, code] of cases) {
      const r = await put(operator, id, body);
      assert.equal(r.status, status, `${id} ${JSON.stringify(body)}: ${r.text}`);
      assert.equal(errCode(r), code, JSON.stringify(body));
    }
    assert.deepEqual(await stored(), before);
  });

  it('no live-feed frame carries a label, even to an operator', async () => {
    const feed = new LiveFeedClient(inst, { cookie: `${SESSION_COOKIE}=${operator.browser.token}` });
    await feed.opened;
    // The second system frame: the feed's device sampler has its baseline (a change after it is pushed).
    await waitFor('two system frames', () => feed.of('system').length > 1, 10_000);
    // A device change: the monitor is disabled, so a `device` frame for it goes out.
    assert.equal((await operator.browser.post('/api/v1/devices/bed-lbl-01/disable')).status, 200);
    await waitFor('device frame', () => feed.of('device').some((m) => m.data.id === 'bed-lbl-01'), 10_000);
    feed.ws.close();
    const all = JSON.stringify(feed.messages);
    assert.ok(!all.includes(BED) && !all.includes(WARD) && !all.includes('"labels"'));
  });

  it('an operator clears them (both null): gone from the answers, audited', async () => {
    const r = await put(operator, 'bed-lbl-01', { bed: null, ward: '' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await stored(), []);
    const one = await operator.browser.call('/api/v1/devices/bed-lbl-01');
    assert.deepEqual((one.json as { device: { labels?: unknown } }).device.labels, { bed: null, ward: null });
    const last = (await audited()).at(-1);
    assert.deepEqual(last?.detail, { bed: null, ward: null, previous: { bed: BED, ward: WARD } });
  });
});
