/**
 * A patient monitor's bed and ward on its page: shown when the API sent them (roles with
 * devices.labels.read), with a form to set or clear them for roles with devices.labels.manage
 * (admin, operator). The server checks and audits every change (`device.labels`).
 */
import { api, describeError } from '../api.ts';
import type { AppContext } from '../context.ts';
import { placeText } from '../device-place.ts';
import { h } from '../dom.ts';
import type { Device, DeviceLabels } from '../types.ts';
import { field, openDialog, toast } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

/** The API's limit per label (src/protocol/device-labels.ts LABEL_MAX). */
const LABEL_MAX = 40;

/**
 * The header line for `d`: its place, and the edit button for those who may set it; null when
 * the caller sees no labels (not a patient monitor, or a role without devices.labels.read).
 */
export function devicePlace(
  ctx: AppContext,
  d: Device,
  onSaved: (l: DeviceLabels) => void,
): HTMLElement | null {
  if (!d.labels) return null;
  const place = placeText(d.labels);
  const canEdit = ctx.can('devices.labels.manage');
  if (!place && !canEdit) return null;
  return h(
    'p',
    { class: 'device-place', testid: 'device-place' },
    icon('pin'),
    place
      ? h('span', { class: 'device-place-text', testid: 'device-place-text' }, place)
      : h('span', { class: 'muted' }, 'No bed or ward set'),
    canEdit
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small',
            testid: 'device-place-edit',
            onclick: () => void edit(d, onSaved),
          },
          place ? 'Change bed and ward' : 'Set bed and ward',
        )
      : null,
  );
}

async function edit(d: Device, onSaved: (l: DeviceLabels) => void): Promise<void> {
  const saved = await openDialog<DeviceLabels>(
    `Bed and ward of ${d.id}`,
    (close) => {
      const input = (value: string | null, testid: string, placeholder: string) =>
        h('input', { type: 'text', maxlength: String(LABEL_MAX), value: value ?? '', testid, placeholder });
      const ward = input(d.labels?.ward ?? null, 'place-ward', 'Ward C – cardiology');
      const bed = input(d.labels?.bed ?? null, 'place-bed', 'Bed 14');
      const err = h('p', { class: 'field-error', role: 'alert', testid: 'place-error' });
      const formId = `place-form-${d.id}`;
      // Outside the form (the dialog's footer) yet its submit button: Enter in a field saves too.
      const save = h(
        'button',
        { type: 'submit', form: formId, class: 'btn btn-primary', testid: 'place-save' },
        'Save',
      );
      const form = h(
        'form',
        {
          id: formId,
          class: 'form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            save.disabled = true;
            err.textContent = '';
            const body = { ward: ward.value.trim() || null, bed: bed.value.trim() || null };
            api<{ labels: DeviceLabels }>(`/devices/${encodeURIComponent(d.id)}/labels`, {
              method: 'PUT',
              body,
            })
              .then((r) => close(r.labels))
              .catch((e2: unknown) => {
                err.textContent = describeError(e2);
                save.disabled = false;
              });
          },
        },
        h(
          'p',
          { class: 'muted small' },
          'Shown on this monitor’s views to the roles allowed to see where patients are. Leave both empty to clear. The change is audited.',
        ),
        field('Ward', ward, `Up to ${LABEL_MAX} characters.`),
        field('Bed', bed, `Up to ${LABEL_MAX} characters.`),
        err,
      );
      return {
        body: form,
        footer: [h('button', { type: 'button', class: 'btn', onclick: () => close(null) }, 'Cancel'), save],
      };
    },
    { testid: 'place-dialog' },
  );
  if (!saved) return;
  onSaved(saved);
  toast(placeText(saved) ? `${d.id}: ${placeText(saved)}.` : `${d.id}: bed and ward cleared.`, 'ok');
}
