import type { Api } from './api.ts';
import { ROTATE_SECRET, type Webhook } from './documents.ts';
import { h, replace, restoreFocus, time } from './dom.ts';

export interface SecretDialog {
  /** Asks, then rotates the secret and shows the new one. */
  open(webhook: Webhook, opener: HTMLElement): void;
  /** Shows the secret a new endpoint got: the only time anyone sees it. */
  showCreated(webhook: { name: string | null; url: string }, secret: string, opener: HTMLElement | null): void;
}

interface Rotated {
  rotateWebhookSecret: { secret: string; webhook: { id: string; secretHint: string; previousSecretExpiresAt: string | null } };
}

/**
 * The secret with a Copy button. Clipboard access can be refused (a frame without
 * `allow="clipboard-write"`, an insecure origin): then the text is selected for the reader to copy.
 */
function secretBlock(secret: string): HTMLElement[] {
  const pre = h('pre', { class: 'secret', tabindex: 0, id: 'new-secret' }, secret);
  const status = h('span', { class: 'muted', role: 'status' });
  const copy = h('button', { type: 'button', id: 'copy-secret', class: 'primary' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      replace(status, 'Copied.');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(pre);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      pre.focus();
      replace(status, 'Selected: press Ctrl+C (⌘C on a Mac) to copy it.');
    }
  });
  return [h('p', {}, 'Copy it into your receiver now: it is shown only this once.'), pre, h('div', { class: 'actions' }, copy, status)];
}

/**
 * Rotating an endpoint's signing secret: asked for first (a click by mistake must not change what the
 * receiver has to check), then the new secret shown this once. The old one keeps signing for the
 * server's grace period, so the receiver can switch without missing a delivery, until the grace
 * period ends or the rotation is finished from the endpoint's card.
 */
export function createSecretDialog(api: Api, dialog: HTMLDialogElement, onRotated: () => void, notify: (msg: string) => void): SecretDialog {
  const body = dialog.querySelector<HTMLElement>('#secret-body')!;
  const title = dialog.querySelector<HTMLElement>('#secret-title')!;
  let returnTo: HTMLElement | null = null;
  dialog.querySelector('#secret-close')!.addEventListener('click', () => dialog.close());
  // The secret is on screen only while the dialog is open.
  dialog.addEventListener('close', () => {
    replace(body);
    restoreFocus(returnTo);
  });

  const rotate = async (w: Webhook, button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      const { rotateWebhookSecret: r } = await api.query<Rotated>(ROTATE_SECRET, { id: w.id });
      replace(title, 'New signing secret');
      replace(
        body,
        ...secretBlock(r.secret),
        r.webhook.previousSecretExpiresAt
          ? h(
              'p',
              { class: 'muted' },
              `Until ${time(r.webhook.previousSecretExpiresAt)} the previous secret still signs deliveries too, and alone signs the branded signature header. Once your receiver uses this new secret, finish the rotation (Finish rotation on the endpoint) so that only the new one signs.`,
            )
          : null,
      );
      notify(`Signing secret of ${w.name ?? w.url} rotated`);
      onRotated();
    } catch (err) {
      replace(body, h('p', { class: 'error' }, `Rotation refused: ${(err as Error).message}`));
    }
    (dialog.querySelector<HTMLElement>('#copy-secret') ?? dialog.querySelector<HTMLElement>('#secret-close'))?.focus();
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
    showCreated(w, secret, opener) {
      returnTo = opener;
      replace(title, `Signing secret of ${w.name ?? w.url}`);
      replace(body, ...secretBlock(secret), h('p', { class: 'muted' }, "Your receiver checks each delivery's signature with it."));
      dialog.showModal();
      dialog.querySelector<HTMLElement>('#copy-secret')?.focus();
    },
  };
}
