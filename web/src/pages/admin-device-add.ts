/**
 * Adding a device (admin): its id and profile; the answer's bundle (certificate, key, secret) is
 * offered for download once, file by file or as one JSON. Vigil keeps no copy of the private key.
 */
import { api } from '../api.ts';
import type { AppContext } from '../context.ts';
import { download, h } from '../dom.ts';
import { PROFILES } from '../profiles.ts';
import { type DeviceSummary, PROFILE_NAMES } from '../types.ts';
import { field } from '../ui/components.ts';
import { createDialog } from '../ui/create-dialog.ts';
import { icon } from '../ui/icons.ts';

export async function addDeviceDialog(ctx: AppContext, onAdded: () => void): Promise<void> {
  const id = h('input', {
    type: 'text',
    required: true,
    autocapitalize: 'none',
    spellcheck: 'false',
    pattern: '[a-z0-9][a-z0-9-]{2,63}',
    placeholder: 'e.g. truck-0042',
    testid: 'device-id-input',
  });
  const profile = h(
    'select',
    { testid: 'device-profile' },
    PROFILE_NAMES.map((p) => h('option', { value: p }, PROFILES[p].label)),
  );
  await createDialog(
    'Add device',
    {
      formId: 'device-form',
      submitLabel: 'Add device',
      submitTestid: 'device-submit',
      fields: [
        field('Device id', id, 'Lower-case letters, digits and dashes; 3 to 64 characters.'),
        field('Profile', profile),
      ],
      focus: id,
      invalid: () =>
        /^[a-z0-9][a-z0-9-]{2,63}$/.test(id.value)
          ? null
          : 'Device ids are 3 to 64 characters: lower-case letters, digits and dashes.',
      send: async () => {
        const r = await api<{ device: DeviceSummary; bundle: Record<string, string> }>('/devices', {
          method: 'POST',
          body: { id: id.value, profile: profile.value },
        });
        const bundle = r.bundle ?? {};
        ctx.store.devices.set(r.device.id, {
          ...r.device,
          latest: null,
          alarm: 'none',
          expectedIntervalMs: null,
        });
        return [
          h(
            'p',
            null,
            `Device ${id.value} added. Download its files now; the private key and secrets are not shown again.`,
          ),
          h(
            'ul',
            { class: 'bundle-files' },
            Object.entries(bundle).map(([name, content]) =>
              h(
                'li',
                null,
                h('code', null, name),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small',
                    testid: `bundle-${name}`,
                    onclick: () => download(`${id.value}-${name}`, content, 'application/octet-stream'),
                  },
                  icon('download'),
                  'Download',
                ),
              ),
            ),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              testid: 'bundle-json',
              onclick: () =>
                download(
                  `${id.value}-bundle.json`,
                  JSON.stringify({ id: id.value, profile: profile.value, files: bundle }, null, 2),
                  'application/json',
                ),
            },
            icon('download'),
            'Download all (JSON)',
          ),
        ];
      },
      after: onAdded,
    },
    { testid: 'device-dialog', wide: true },
  );
}
