import type { Api } from './api.ts';
import { ATTEMPT, type AttemptDetail, RETRY } from './documents.ts';
import { h, json, replace, statusBadge, time } from './dom.ts';

export interface AttemptDialog {
  open(attemptId: string, opener: HTMLElement): Promise<void>;
}

function block(title: string, body: string): HTMLElement {
  return h('section', { class: 'block' }, h('h3', {}, title), h('pre', { tabindex: 0 }, body));
}

/**
 * One attempt in full: what was sent (URL, headers), what came back (status, headers, body) or why
 * nothing did, and a retry for its delivery. A modal <dialog>: Escape closes it, focus returns.
 */
export function createAttemptDialog(api: Api, dialog: HTMLDialogElement, onRetried: () => void, notify: (msg: string) => void): AttemptDialog {
  const body = dialog.querySelector<HTMLElement>('#attempt-body')!;
  const title = dialog.querySelector<HTMLElement>('#attempt-title')!;
  let returnTo: HTMLElement | null = null;
  dialog.querySelector('#attempt-close')!.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => returnTo?.focus());

  const retryButton = (a: AttemptDetail) => {
    const button = h('button', { type: 'button', class: 'primary' }, a.delivery.status === 'SUCCEEDED' ? 'Send again' : 'Retry delivery');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const { retryDelivery } = await api.query<{ retryDelivery: { delivery: { status: string } } }>(RETRY, { id: a.delivery.id });
        notify(`Delivery ${a.delivery.id} queued again (${retryDelivery.delivery.status.toLowerCase()})`);
        onRetried();
        dialog.close();
      } catch (err) {
        notify(`Retry refused: ${(err as Error).message}`);
        button.disabled = false;
      }
    });
    return button;
  };

  return {
    async open(attemptId, opener) {
      returnTo = opener;
      replace(title, 'Attempt');
      replace(body, h('p', { class: 'muted' }, 'Loading…'));
      if (!dialog.open) dialog.showModal();
      try {
        const { node: a } = await api.query<{ node: AttemptDetail | null }>(ATTEMPT, { id: attemptId });
        if (!a) throw new Error('this attempt no longer exists (retention may have removed it)');
        replace(title, `${a.delivery.event.type} · attempt ${a.attemptNumber}`);
        replace(
          body,
          h(
            'dl',
            { class: 'facts' },
            h('dt', {}, 'Answer'),
            h('dd', {}, statusBadge(a.responseStatus, a.succeeded), ` in ${a.durationMs} ms`),
            h('dt', {}, 'At'),
            h('dd', {}, time(a.createdAt)),
            h('dt', {}, 'URL'),
            h('dd', { class: 'url' }, a.url),
            h('dt', {}, 'Delivery'),
            h('dd', {}, `${a.delivery.id} · ${a.delivery.status.toLowerCase()} after ${a.delivery.attemptCount} attempt(s)`),
            a.delivery.nextAttemptAt ? h('dt', {}, 'Next attempt') : null,
            a.delivery.nextAttemptAt ? h('dd', {}, time(a.delivery.nextAttemptAt)) : null,
            a.error ? h('dt', {}, 'Error') : null,
            a.error ? h('dd', { class: 'error' }, a.error) : null,
          ),
          block('Request headers', json(a.requestHeaders)),
          block(`Response headers`, json(a.responseHeaders)),
          block('Response body', a.responseBody ?? '—'),
          h('div', { class: 'actions' }, retryButton(a)),
        );
      } catch (err) {
        replace(body, h('p', { class: 'error' }, `Could not load the attempt: ${(err as Error).message}`));
      }
    },
  };
}
