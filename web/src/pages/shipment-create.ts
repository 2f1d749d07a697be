/**
 * Creating a shipment from the dashboard (`shipments.manage`: operator, admin; POST
 * /api/v1/shipments, audited): the logger, the temperature profile, origin and destination
 * (optionally with coordinates, for the map), the ETA, and the batches. The shipment starts
 * planned; the logger's dispatch event puts it in transit.
 */
import { api, describeError } from '../api.ts';
import type { AppContext } from '../context.ts';
import { h } from '../dom.ts';
import { PRESET_LABELS } from '../shipment-view.ts';
import type { ShipmentView } from '../types.ts';
import { errorBox, field, openDialog } from '../ui/components.ts';

const LOT_RE = /^[A-Za-z0-9._:/-]{1,64}$/;

interface BatchRow {
  el: HTMLElement;
  lot: HTMLInputElement;
  product: HTMLInputElement;
  quantity: HTMLInputElement;
  vvm: HTMLSelectElement;
}

/** A place from a name and an optional "lat, lon". */
function place(name: string, coords: string): { name: string; lat?: number; lon?: number } | string {
  const n = name.trim();
  if (!n) return 'needs a name';
  const c = coords.trim();
  if (!c) return { name: n };
  const m = /^(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)$/.exec(c);
  const lat = Number(m?.[1]);
  const lon = Number(m?.[2]);
  if (!m || Math.abs(lat) > 90 || Math.abs(lon) > 180)
    return 'coordinates are "latitude, longitude" in degrees';
  return { name: n, lat, lon };
}

/** Opens the form; resolves with the created shipment, or null when cancelled. */
export async function createShipmentDialog(ctx: AppContext): Promise<ShipmentView | null> {
  const loggers = [...ctx.store.devices.values()]
    .filter((d) => d.profile === 'vaccine-transport' && d.status === 'enabled')
    .sort((a, b) => a.id.localeCompare(b.id));
  const r = await openDialog<ShipmentView | null>(
    'New shipment',
    (close) => {
      const device = h(
        'select',
        { required: true, testid: 'new-shipment-device' },
        h(
          'option',
          { value: '' },
          loggers.length ? 'Choose the logger…' : 'No enabled vaccine-transport logger',
        ),
        loggers.map((d) => h('option', { value: d.id }, d.id)),
      );
      const profile = h(
        'select',
        { testid: 'new-shipment-profile' },
        Object.entries(PRESET_LABELS)
          .filter(([k]) => k !== 'custom')
          .map(([k, label]) => h('option', { value: k }, label)),
      );
      const text = (testid: string, placeholder: string) =>
        h('input', { type: 'text', testid, placeholder, maxlength: 128 });
      const origin = text('new-shipment-origin', 'e.g. Amsterdam depot');
      const originAt = text('new-shipment-origin-coords', 'optional: 52.37, 4.90');
      const destination = text('new-shipment-destination', 'e.g. Antwerp clinic');
      const destinationAt = text('new-shipment-destination-coords', 'optional: 51.22, 4.40');
      const eta = h('input', { type: 'datetime-local', testid: 'new-shipment-eta' });
      const rows: BatchRow[] = [];
      const batchHost = h('div', { class: 'batch-rows' });
      const addBatch = () => {
        const row: BatchRow = {
          lot: h('input', { type: 'text', placeholder: 'Lot', maxlength: 64, testid: 'new-batch-lot' }),
          product: h('input', {
            type: 'text',
            placeholder: 'Product',
            maxlength: 128,
            testid: 'new-batch-product',
          }),
          quantity: h('input', {
            type: 'number',
            min: 0,
            step: 1,
            placeholder: 'Qty',
            testid: 'new-batch-qty',
          }),
          vvm: h(
            'select',
            { 'aria-label': 'VVM', testid: 'new-batch-vvm' },
            ['', 'VVM2', 'VVM7', 'VVM14', 'VVM30'].map((v) => h('option', { value: v }, v || 'VVM –')),
          ),
          el: h('div'),
        };
        row.el = h('div', { class: 'batch-row' }, row.lot, row.product, row.quantity, row.vvm);
        rows.push(row);
        batchHost.append(row.el);
      };
      addBatch();
      const err = h('div', { class: 'form-error', testid: 'new-shipment-error' });
      const submit = h(
        'button',
        {
          type: 'submit',
          class: 'btn btn-primary',
          form: 'new-shipment-form',
          testid: 'new-shipment-submit',
        },
        'Create shipment',
      );
      const form = h(
        'form',
        { id: 'new-shipment-form', class: 'form', novalidate: true },
        field('Logger', device, 'The vaccine-transport device that travels with the goods.'),
        field('Temperature profile', profile),
        h('div', { class: 'form-pair' }, field('Origin', origin), field('Origin coordinates', originAt)),
        h(
          'div',
          { class: 'form-pair' },
          field('Destination', destination),
          field('Destination coordinates', destinationAt),
        ),
        field('Expected arrival', eta, 'Optional; in your browser’s time zone.'),
        h(
          'fieldset',
          { class: 'batches' },
          h('legend', null, 'Batches'),
          batchHost,
          h('button', { type: 'button', class: 'btn btn-small', onclick: addBatch }, '+ Batch'),
        ),
        err,
      );
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        err.replaceChildren();
        const problems: string[] = [];
        if (!device.value) problems.push('Choose the logger.');
        const o = place(origin.value, originAt.value);
        const d = place(destination.value, destinationAt.value);
        if (typeof o === 'string') problems.push(`Origin ${o}.`);
        if (typeof d === 'string') problems.push(`Destination ${d}.`);
        const batches = [];
        for (const b of rows) {
          if (!b.lot.value && !b.product.value && !b.quantity.value) continue;
          const quantity = Number(b.quantity.value);
          if (!LOT_RE.test(b.lot.value)) problems.push('A lot is 1 to 64 letters, digits or ._:/-.');
          else if (!b.product.value.trim()) problems.push(`Lot ${b.lot.value} needs a product.`);
          else if (!Number.isInteger(quantity) || quantity < 0 || b.quantity.value === '')
            problems.push(`Lot ${b.lot.value} needs a whole quantity.`);
          else
            batches.push({
              lot: b.lot.value,
              product: b.product.value.trim(),
              quantity,
              ...(b.vvm.value ? { vvm: b.vvm.value } : {}),
            });
        }
        const etaMs = eta.value ? new Date(eta.value).getTime() : null;
        if (etaMs !== null && !Number.isFinite(etaMs)) problems.push('The expected arrival is not a date.');
        if (problems.length || typeof o === 'string' || typeof d === 'string') {
          err.append(errorBox(problems.join(' ')));
          return;
        }
        submit.disabled = true;
        try {
          const res = await api<{ shipment: ShipmentView }>('/shipments', {
            method: 'POST',
            body: {
              deviceId: device.value,
              profile: profile.value,
              origin: o,
              destination: d,
              batches,
              ...(etaMs !== null ? { eta: new Date(etaMs).toISOString() } : {}),
            },
          });
          close(res.shipment);
        } catch (ex) {
          submit.disabled = false;
          err.append(errorBox(describeError(ex)));
        }
      });
      return {
        body: form,
        footer: [h('button', { type: 'button', class: 'btn', onclick: () => close(null) }, 'Cancel'), submit],
      };
    },
    { testid: 'new-shipment-dialog', wide: true },
  );
  return r ?? null;
}
