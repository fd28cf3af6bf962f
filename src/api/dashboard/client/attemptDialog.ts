import type { Api } from './api.ts';
import { ATTEMPT, type AttemptDetail, type DeliveryTiming, RETRY } from './documents.ts';
import { h, json, nextAttempt, replace, statusBadge, time } from './dom.ts';

export interface AttemptDialog {
  open(attemptId: string, opener: HTMLElement): Promise<void>;
}

function block(title: string, body: string): HTMLElement {
  return h('section', { class: 'block' }, h('h3', {}, title), h('pre', { tabindex: 0 }, body));
}

/**
 * The event's data, which the request body carried inside the project's envelope. The log keeps the
 * data rather than the bytes sent, so this says so instead of passing it off as the body.
 */
function eventData(a: AttemptDetail): HTMLElement {
  const { data, dataPurgedAt } = a.delivery.event;
  const section = block('Request body: the event data', dataPurgedAt ? `Removed by retention on ${time(dataPurgedAt)}.` : json(data));
  section.append(h('p', { class: 'hint' }, "Sent inside the project's body envelope (id, type, timestamp…)."));
  return section;
}

/**
 * One attempt in full: what was sent (URL, headers, the event's data), what came back (status,
 * headers, body) or why nothing did, and a retry for its delivery. A modal <dialog>: Escape closes it, focus returns.
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
        const { retryDelivery: r } = await api.query<{ retryDelivery: { delivery: DeliveryTiming & { status: string } } }>(RETRY, { id: a.delivery.id });
        const held = r.delivery.heldBy ? `, ${nextAttempt(r.delivery)}` : '';
        notify(`Delivery ${a.delivery.id} queued again (${r.delivery.status.toLowerCase()}${held})`);
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
        const due = a.delivery.nextAttemptAt || a.delivery.heldBy;
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
            due ? h('dt', {}, 'Next attempt') : null,
            due ? h('dd', { class: a.delivery.heldBy ? 'held' : '' }, nextAttempt(a.delivery)) : null,
            a.error ? h('dt', {}, 'Error') : null,
            a.error ? h('dd', { class: 'error' }, a.error) : null,
          ),
          // Above the blocks, so it is in sight without scrolling however long they are.
          h('div', { class: 'actions' }, retryButton(a)),
          block('Request headers', json(a.requestHeaders)),
          eventData(a),
          block(`Response headers`, json(a.responseHeaders)),
          block('Response body', a.responseBody ?? '—'),
        );
      } catch (err) {
        replace(body, h('p', { class: 'error' }, `Could not load the attempt: ${(err as Error).message}`));
      }
    },
  };
}
