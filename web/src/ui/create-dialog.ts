/**
 * A dialog that creates one thing (a user, a token, a device) and then shows what the server
 * answered once (a one-time password, a secret, a bundle): the form is replaced by that answer and
 * the footer by one Done button. A rejected request keeps the form and says why.
 */
import { describeError } from '../api.ts';
import { type Child, h, replace } from '../dom.ts';
import { errorBox, openDialog } from './components.ts';

export interface CreateDialogSpec {
  /** The form's id, which the submit button in the footer points at. */
  formId: string;
  submitLabel: string;
  submitTestid: string;
  fields: Child[];
  /** Focused when the dialog opens. */
  focus: HTMLElement;
  /** Why the input cannot be sent, or null when it can. */
  invalid: () => string | null;
  /** Sends the request; resolves with what replaces the form. */
  send: () => Promise<Child[]>;
  /** Runs once the answer is shown (reload a list, tell the caller). */
  after: () => void;
}

export function createDialog(
  title: string,
  spec: CreateDialogSpec,
  opts: { testid?: string; wide?: boolean },
): Promise<boolean | null> {
  return openDialog<boolean>(
    title,
    (close) => {
      const err = h('div', { class: 'form-error' });
      const submit = h(
        'button',
        { type: 'submit', class: 'btn btn-primary', form: spec.formId, testid: spec.submitTestid },
        spec.submitLabel,
      );
      const footer = h(
        'div',
        { class: 'row gap' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
        submit,
      );
      const form = h('form', { id: spec.formId, class: 'form', novalidate: true }, spec.fields, err);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        err.replaceChildren();
        const problem = spec.invalid();
        if (problem !== null) return void err.append(errorBox(problem));
        submit.disabled = true;
        try {
          replace(form, ...(await spec.send()));
          replace(
            footer,
            h('button', { type: 'button', class: 'btn btn-primary', onclick: () => close(true) }, 'Done'),
          );
          spec.after();
        } catch (ex) {
          submit.disabled = false;
          err.append(errorBox(describeError(ex)));
        }
      });
      setTimeout(() => spec.focus.focus(), 0);
      return { body: form, footer };
    },
    opts,
  );
}
