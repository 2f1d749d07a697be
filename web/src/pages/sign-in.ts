/**
 * Sign-in, following the state machine of docs/api.md: password → (new password) → (TOTP
 * enrolment: QR + secret, confirm a code, recovery codes shown once) → (TOTP or recovery code)
 * → signed in. Each server answer names the next state; this page only renders it.
 */
import { ApiError, api, describeError, fmtWait } from '../api.ts';
import { copyText, h, replace, safeSvg } from '../dom.ts';
import type { Role, SignInState } from '../types.ts';
import { errorBox, field } from '../ui/components.ts';
import { icon, logo } from '../ui/icons.ts';
import { codeInput, heading, recoveryCodesPanel } from './sign-in-bits.ts';

export interface SignInOptions {
  /** Resume at this step (a reload during sign-in: `/auth/me` told us where we are). */
  state?: SignInState;
  user?: { name: string; role: Role } | null;
  /** A note above the form, e.g. "Your session has ended." */
  notice?: string | null;
  onSignedIn: () => void;
}

type Step = 'login' | SignInState | 'recovery_codes';

const PASSWORD_MIN = 12;

export function renderSignIn(root: HTMLElement, opts: SignInOptions): () => void {
  let password = ''; // kept in memory only, for the forced password change right after login
  let lockTimer: ReturnType<typeof setInterval> | null = null;
  let user = opts.user ?? null;
  const panel = h('div', { class: 'signin-card', role: 'main' });
  const shell = h(
    'div',
    { class: 'signin' },
    h(
      'aside',
      { class: 'signin-brand' },
      h('div', { class: 'signin-logo' }, logo(), h('span', null, 'Vigil')),
      h(
        'p',
        { class: 'signin-tagline' },
        'Secure monitoring for vaccine cold chains, patient vitals and storage.',
      ),
      h(
        'ul',
        { class: 'signin-points' },
        h('li', null, icon('truck'), 'Live temperature and position of every shipment'),
        h('li', null, icon('alert'), 'Excursion alarms with acknowledged, audited decisions'),
        h('li', null, icon('shield'), 'End-to-end encrypted device data, signed audit trail'),
      ),
    ),
    panel,
  );
  replace(root, shell);

  const stopLock = () => {
    if (lockTimer) clearInterval(lockTimer);
    lockTimer = null;
  };

  const go = (step: Step, extra?: { recoveryCodes?: string[]; notice?: string }) => {
    stopLock();
    switch (step) {
      case 'login':
        return loginStep(extra?.notice ?? opts.notice ?? null);
      case 'password_change_required':
        return passwordStep();
      case 'mfa_enrol_required':
        return enrolStep();
      case 'mfa_required':
        return mfaStep();
      case 'recovery_codes':
        return recoveryStep(extra?.recoveryCodes ?? []);
      case 'ok':
        return opts.onSignedIn();
    }
  };

  const errorSlot = () => h('div', { class: 'form-error', 'aria-live': 'assertive' });

  const setBusy = (btn: HTMLButtonElement, busy: boolean, label: string) => {
    btn.disabled = busy;
    btn.textContent = busy ? 'Please wait…' : label;
  };

  function loginStep(notice: string | null): void {
    const username = h('input', {
      type: 'text',
      name: 'username',
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: 'false',
      required: true,
      testid: 'login-username',
    });
    const pw = h('input', {
      type: 'password',
      name: 'password',
      autocomplete: 'current-password',
      required: true,
      testid: 'login-password',
    });
    const submit = h(
      'button',
      { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit' },
      'Sign in',
    );
    const err = errorSlot();
    const form = h(
      'form',
      { class: 'form', novalidate: true },
      notice ? h('div', { class: 'alert alert-info' }, icon('clock'), h('span', null, notice)) : null,
      field('User name', username),
      field('Password', pw),
      err,
      submit,
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.replaceChildren();
      if (!username.value.trim() || !pw.value) {
        err.append(errorBox('Enter your user name and password.'));
        return;
      }
      setBusy(submit, true, 'Sign in');
      try {
        const r = await api<{ state: SignInState; user?: { name: string; role: Role } }>('/auth/login', {
          method: 'POST',
          body: { username: username.value.trim(), password: pw.value },
          quiet401: true,
        });
        password = pw.value;
        user = r.user ?? { name: username.value.trim(), role: 'viewer' };
        go(r.state);
      } catch (ex) {
        setBusy(submit, false, 'Sign in');
        pw.value = '';
        if (ex instanceof ApiError && ex.status === 429) {
          lockedOut(err, submit, ex.retryAfterS ?? 60);
        } else if (ex instanceof ApiError && ex.status === 401) {
          err.append(errorBox('Wrong user name or password.'));
          pw.focus();
        } else {
          err.append(errorBox(describeError(ex)));
        }
      }
    });
    replace(panel, heading('Sign in', 'Use your Vigil account. You will need your authenticator app.'), form);
    username.focus();
  }

  /** 429: say when to retry and keep the button disabled until then. */
  function lockedOut(err: HTMLElement, submit: HTMLButtonElement, seconds: number): void {
    const until = Date.now() + seconds * 1000;
    const text = h('span', null);
    const box = h(
      'div',
      { class: 'alert alert-bad', role: 'alert', testid: 'login-locked' },
      icon('clock'),
      text,
    );
    err.replaceChildren(box);
    const update = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        stopLock();
        submit.disabled = false;
        text.textContent = 'You can try again now.';
        return;
      }
      submit.disabled = true;
      text.textContent = `Too many failed attempts: sign-in is locked. Try again in ${fmtWait(left)} (at ${new Date(until).toLocaleTimeString()}).`;
    };
    stopLock();
    update();
    lockTimer = setInterval(update, 1000);
  }

  function passwordStep(): void {
    const current = h('input', {
      type: 'password',
      autocomplete: 'current-password',
      testid: 'password-current',
    });
    const next = h('input', {
      type: 'password',
      autocomplete: 'new-password',
      minlength: PASSWORD_MIN,
      required: true,
      testid: 'password-new',
    });
    const again = h('input', {
      type: 'password',
      autocomplete: 'new-password',
      required: true,
      testid: 'password-repeat',
    });
    const submit = h(
      'button',
      { type: 'submit', class: 'btn btn-primary btn-block', testid: 'password-submit' },
      'Set password',
    );
    const err = errorSlot();
    const form = h(
      'form',
      { class: 'form', novalidate: true },
      password ? null : field('Current (one-time) password', current),
      field(
        'New password',
        next,
        `At least ${PASSWORD_MIN} characters. Common passwords are refused; a phrase of several words works well.`,
      ),
      field('Repeat new password', again),
      err,
      submit,
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.replaceChildren();
      if (next.value.length < PASSWORD_MIN)
        return void err.append(errorBox(`The new password needs at least ${PASSWORD_MIN} characters.`));
      if (next.value !== again.value) return void err.append(errorBox('The two new passwords differ.'));
      setBusy(submit, true, 'Set password');
      try {
        const r = await api<{ state: SignInState }>('/auth/password', {
          method: 'POST',
          body: { currentPassword: password || current.value, newPassword: next.value },
          quiet401: true,
        });
        password = '';
        go(r.state);
      } catch (ex) {
        setBusy(submit, false, 'Set password');
        if (ex instanceof ApiError && ex.code === 'VIGIL_ERR_PASSWORD_POLICY') {
          err.append(
            errorBox(
              `This password is not allowed: use at least ${PASSWORD_MIN} characters and avoid common passwords.`,
            ),
          );
        } else if (ex instanceof ApiError && ex.status === 401) {
          err.append(errorBox('The current password is wrong, or the sign-in has expired.'));
        } else if (ex instanceof ApiError && ex.status === 429) {
          lockedOut(err, submit, ex.retryAfterS ?? 60);
        } else {
          err.append(errorBox(describeError(ex)));
        }
      }
    });
    replace(
      panel,
      heading(
        'Choose a new password',
        `${user ? `${user.name}: ` : ''}the one-time password must be replaced before you continue.`,
      ),
      form,
    );
    (password ? next : current).focus();
  }

  async function enrolStep(): Promise<void> {
    replace(
      panel,
      heading('Set up two-factor sign-in'),
      h('p', { class: 'muted' }, 'Preparing your authenticator secret…'),
    );
    let offer: { secret: string; otpauthUri: string; qrSvg: string };
    try {
      offer = await api('/auth/mfa/enrol', { method: 'POST', quiet401: true });
    } catch (ex) {
      replace(
        panel,
        heading('Set up two-factor sign-in'),
        errorBox(describeError(ex)),
        h('button', { type: 'button', class: 'btn', onclick: () => go('login') }, 'Back to sign-in'),
      );
      return;
    }
    const qr = safeSvg(offer.qrSvg);
    if (qr) {
      qr.setAttribute('role', 'img');
      qr.setAttribute('aria-label', 'QR code with the authenticator secret');
    }
    const grouped = offer.secret.replace(/(.{4})/g, '$1 ').trim();
    const copyBtn = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        onclick: async () => {
          copyBtn.textContent = (await copyText(offer.secret)) ? 'Copied' : 'Copy failed: select the text';
        },
      },
      'Copy',
    );
    const code = codeInput();
    const submit = h(
      'button',
      { type: 'submit', class: 'btn btn-primary btn-block', testid: 'totp-submit' },
      'Confirm',
    );
    const err = errorSlot();
    const form = h(
      'form',
      { class: 'form', novalidate: true },
      field('6-digit code from the app', code),
      err,
      submit,
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.replaceChildren();
      if (!/^\d{6}$/.test(code.value.trim()))
        return void err.append(errorBox('Enter the 6 digits your app shows.'));
      setBusy(submit, true, 'Confirm');
      try {
        const r = await api<{ state: SignInState; recoveryCodes?: string[] }>('/auth/mfa/enrol/confirm', {
          method: 'POST',
          body: { code: code.value.trim() },
          quiet401: true,
        });
        if (r.recoveryCodes?.length) go('recovery_codes', { recoveryCodes: r.recoveryCodes });
        else go(r.state);
      } catch (ex) {
        setBusy(submit, false, 'Confirm');
        code.value = '';
        code.focus();
        if (ex instanceof ApiError && (ex.code === 'VIGIL_ERR_TOTP' || ex.status === 401)) {
          err.append(
            errorBox('That code is not valid. Check the clock of your phone and use the newest code.'),
          );
        } else if (ex instanceof ApiError && ex.status === 429) {
          lockedOut(err, submit, ex.retryAfterS ?? 60);
        } else err.append(errorBox(describeError(ex)));
      }
    });
    replace(
      panel,
      heading(
        'Set up two-factor sign-in',
        'Scan the code with an authenticator app (TOTP), then enter the code it shows.',
      ),
      h(
        'div',
        { class: 'enrol' },
        h(
          'div',
          { class: 'qr', testid: 'totp-qr' },
          qr ?? h('p', { class: 'muted' }, 'QR code unavailable: enter the secret by hand.'),
        ),
        h(
          'div',
          { class: 'secret' },
          h(
            'p',
            { class: 'hint' },
            'Cannot scan? Enter this secret in the app (time-based, 30 s, 6 digits):',
          ),
          h('code', { class: 'secret-text', testid: 'totp-secret' }, grouped),
          copyBtn,
        ),
      ),
      form,
    );
    code.focus();
  }

  function recoveryStep(codes: string[]): void {
    replace(panel, ...recoveryCodesPanel(codes, user?.name ?? null, () => go('ok')));
  }

  function mfaStep(): void {
    let recovery = false;
    const code = codeInput();
    const submit = h(
      'button',
      { type: 'submit', class: 'btn btn-primary btn-block', testid: 'totp-submit' },
      'Verify',
    );
    const err = errorSlot();
    const label = h('label', { for: 'totp' }, 'Authenticator code');
    code.id = 'totp';
    const toggle = h(
      'button',
      { type: 'button', class: 'link-button', testid: 'use-recovery' },
      'Use a recovery code instead',
    );
    toggle.addEventListener('click', () => {
      recovery = !recovery;
      label.textContent = recovery ? 'Recovery code' : 'Authenticator code';
      toggle.textContent = recovery ? 'Use the authenticator app instead' : 'Use a recovery code instead';
      code.inputMode = recovery ? 'text' : 'numeric';
      code.autocomplete = recovery ? 'off' : 'one-time-code';
      code.maxLength = recovery ? 32 : 6;
      code.value = '';
      code.focus();
    });
    const form = h(
      'form',
      { class: 'form', novalidate: true },
      h('div', { class: 'field' }, label, code),
      err,
      submit,
      toggle,
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.replaceChildren();
      const v = code.value.trim();
      if (!recovery && !/^\d{6}$/.test(v))
        return void err.append(errorBox('Enter the 6 digits your app shows.'));
      if (recovery && v.length < 6) return void err.append(errorBox('Enter one of your recovery codes.'));
      setBusy(submit, true, 'Verify');
      try {
        const r = await api<{ state: SignInState }>('/auth/mfa', {
          method: 'POST',
          body: { code: v },
          quiet401: true,
        });
        go(r.state);
      } catch (ex) {
        setBusy(submit, false, 'Verify');
        code.value = '';
        code.focus();
        if (ex instanceof ApiError && ex.status === 429) lockedOut(err, submit, ex.retryAfterS ?? 60);
        else if (ex instanceof ApiError && ex.code === 'VIGIL_ERR_TOTP') {
          err.append(
            errorBox(
              recovery
                ? 'That recovery code is not valid or was used already.'
                : 'That code is not valid or was used already. Wait for the next code.',
            ),
          );
        } else if (ex instanceof ApiError && ex.status === 401) {
          go('login', { notice: 'The sign-in expired. Start again.' });
        } else err.append(errorBox(describeError(ex)));
      }
    });
    replace(
      panel,
      heading(
        'Two-factor sign-in',
        `${user ? `Signed in as ${user.name}. ` : ''}Enter the code from your authenticator app.`,
      ),
      form,
      h(
        'button',
        { type: 'button', class: 'link-button', onclick: () => signOutAndRestart() },
        'Sign in as someone else',
      ),
    );
    code.focus();
  }

  async function signOutAndRestart(): Promise<void> {
    await api('/auth/logout', { method: 'POST', quiet401: true }).catch(() => {});
    user = null;
    go('login', { notice: '' });
  }

  go(opts.state && opts.state !== 'ok' ? opts.state : 'login');
  return stopLock;
}
