/** Pieces of the sign-in steps: headings, the code input, and the recovery codes shown once. */
import { copyText, download, h } from '../dom.ts';
import { icon } from '../ui/icons.ts';

export const heading = (title: string, sub?: string): HTMLElement =>
  h('div', { class: 'signin-head' }, h('h1', null, title), sub ? h('p', { class: 'muted' }, sub) : null);

export function codeInput(): HTMLInputElement {
  return h('input', {
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]*',
    maxlength: 6,
    required: true,
    class: 'code-input',
    testid: 'totp-code',
  });
}

/** The recovery codes, shown once: download, copy, and a check that they were saved before going on. */
export function recoveryCodesPanel(
  codes: string[],
  userName: string | null,
  onContinue: () => void,
): HTMLElement[] {
  const text = `Vigil recovery codes for ${userName ?? 'your account'}\nEach code works once, in place of an authenticator code.\n\n${codes.join('\n')}\n`;
  const saved = h('input', { type: 'checkbox', testid: 'recovery-saved' });
  const cont = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-primary btn-block',
      disabled: true,
      testid: 'recovery-continue',
      onclick: onContinue,
    },
    'Continue to Vigil',
  );
  saved.addEventListener('change', () => {
    cont.disabled = !saved.checked;
  });
  const copyBtn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      onclick: async () => {
        copyBtn.textContent = (await copyText(codes.join('\n'))) ? 'Copied' : 'Copy failed';
      },
    },
    icon('copy'),
    'Copy',
  );
  return [
    heading(
      'Save your recovery codes',
      'If you lose your phone, each of these codes signs you in once. They are shown only now.',
    ),
    h(
      'ol',
      { class: 'recovery-codes', testid: 'recovery-codes' },
      codes.map((c) => h('li', null, h('code', null, c))),
    ),
    h(
      'div',
      { class: 'row gap' },
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small',
          onclick: () => download('vigil-recovery-codes.txt', text),
        },
        icon('download'),
        'Download',
      ),
      copyBtn,
    ),
    h('label', { class: 'check' }, saved, h('span', null, 'I saved these codes somewhere safe')),
    cont,
  ];
}
