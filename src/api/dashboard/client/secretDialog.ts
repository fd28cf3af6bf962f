import type { Api } from './api.ts';
import { ROTATE_SECRET, type Webhook } from './documents.ts';
import { h, replace, time } from './dom.ts';

export interface SecretDialog {
  open(webhook: Webhook, opener: HTMLElement): void;
}

interface Rotated {
  rotateWebhookSecret: { secret: string; webhook: { id: string; secretHint: string; previousSecretExpiresAt: string | null } };
}

/**
 * Rotating an endpoint's signing secret: asked for first (a click by mistake must not change what the
 * receiver has to check), then the new secret shown this once. The old one keeps signing for the
 * server's grace period, so the receiver can switch without missing a delivery.
 */
export function createSecretDialog(api: Api, dialog: HTMLDialogElement, onRotated: () => void, notify: (msg: string) => void): SecretDialog {
  const body = dialog.querySelector<HTMLElement>('#secret-body')!;
  const title = dialog.querySelector<HTMLElement>('#secret-title')!;
  let returnTo: HTMLElement | null = null;
  dialog.querySelector('#secret-close')!.addEventListener('click', () => dialog.close());
  // The secret is on screen only while the dialog is open.
  dialog.addEventListener('close', () => {
    replace(body);
    returnTo?.focus();
  });

  const rotate = async (w: Webhook, button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      const { rotateWebhookSecret: r } = await api.query<Rotated>(ROTATE_SECRET, { id: w.id });
      replace(title, 'New signing secret');
      replace(
        body,
        h('p', {}, 'Copy it into your receiver now: it is shown only this once.'),
        h('pre', { class: 'secret', tabindex: 0, id: 'new-secret' }, r.secret),
        r.webhook.previousSecretExpiresAt
          ? h('p', { class: 'muted' }, `The previous secret also signs deliveries until ${time(r.webhook.previousSecretExpiresAt)}.`)
          : null,
      );
      notify(`Signing secret of ${w.name ?? w.url} rotated`);
      onRotated();
    } catch (err) {
      replace(body, h('p', { class: 'error' }, `Rotation refused: ${(err as Error).message}`));
    }
  };

  return {
    open(w, opener) {
      returnTo = opener;
      replace(title, `Rotate the signing secret of ${w.name ?? w.url}`);
      const confirm = h('button', { type: 'button', class: 'primary' }, 'Rotate now');
      confirm.addEventListener('click', () => void rotate(w, confirm));
      replace(
        body,
        h(
          'p',
          {},
          `A new secret replaces the current one (••••${w.secretHint}). Deliveries are signed with both for a while, so your receiver can switch over.`,
        ),
        h('div', { class: 'actions' }, confirm),
      );
      dialog.showModal();
      confirm.focus();
    },
  };
}
