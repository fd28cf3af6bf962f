import type { Api } from './api.ts';
import type { AttemptDialog } from './attemptDialog.ts';
import { ATTEMPTS_SHOWN, DELIVERY_DETAIL, type DeliveryDetail, type LogAttempt } from './deliveryDocuments.ts';
import { endpointName, statusPill, whatNext } from './deliveryRow.ts';
import { h, replace, restoreFocus, statusBadge, time } from './dom.ts';

export interface DeliveryDialog {
  open(deliveryId: string, opener: HTMLElement): Promise<void>;
}

function attemptItem(a: LogAttempt, attempts: AttemptDialog): HTMLElement {
  const button = h(
    'button',
    {
      type: 'button',
      class: 'row',
      'aria-label': `Attempt ${a.attemptNumber}: ${a.responseStatus ?? 'no answer'} in ${a.durationMs} ms${a.error ? `, ${a.error}` : ''}. Open it in full`,
    },
    statusBadge(a.responseStatus, a.succeeded),
    h('span', { class: 'type' }, `#${a.attemptNumber}`),
    h('span', { class: 'muted' }, `${a.durationMs} ms · ${time(a.createdAt)}`),
    a.error ? h('span', { class: 'error' }, a.error) : null,
  );
  button.addEventListener('click', () => void attempts.open(a.id, button));
  return h('li', { 'data-attempt-id': a.id, 'data-status': a.responseStatus ?? 'none', class: a.succeeded ? 'ok' : 'fail' }, button);
}

/**
 * One delivery: what it is, where it goes, what comes next, and every attempt made, newest first,
 * each opening the attempt dialog (which stacks over this one; Escape closes the top one first).
 */
export function createDeliveryDialog(api: Api, dialog: HTMLDialogElement, attempts: AttemptDialog): DeliveryDialog {
  const title = dialog.querySelector<HTMLElement>('#delivery-title')!;
  const body = dialog.querySelector<HTMLElement>('#delivery-body')!;
  let returnTo: HTMLElement | null = null;
  dialog.querySelector('#delivery-close')!.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => restoreFocus(returnTo));

  const facts = (d: DeliveryDetail) => {
    const next = whatNext(d);
    return h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Status'),
      h('dd', {}, statusPill(d.status), ` after ${d.attemptCount} attempt${d.attemptCount === 1 ? '' : 's'}`),
      next === 'done' ? null : h('dt', {}, 'Next attempt'),
      next === 'done' ? null : h('dd', { class: d.heldBy ? 'held' : '' }, next),
      h('dt', {}, 'Event'),
      h('dd', {}, `${d.event.type} · ${d.event.id}`),
      h('dt', {}, 'Delivery'),
      h('dd', {}, d.id),
      h('dt', {}, 'Endpoint'),
      h('dd', { class: 'url' }, d.webhook.name ? `${d.webhook.name} · ${d.webhook.url}` : d.webhook.url),
      d.tenantId ? h('dt', {}, 'Tenant') : null,
      d.tenantId ? h('dd', {}, d.tenantId) : null,
      h('dt', {}, 'Created'),
      h('dd', {}, time(d.createdAt)),
      h('dt', {}, 'Updated'),
      h('dd', {}, time(d.updatedAt)),
    );
  };

  return {
    async open(deliveryId, opener) {
      returnTo = opener;
      replace(title, 'Delivery');
      replace(body, h('p', { class: 'muted' }, 'Loading…'));
      if (!dialog.open) dialog.showModal();
      try {
        const { delivery: d } = await api.query<{ delivery: DeliveryDetail }>(DELIVERY_DETAIL, { id: deliveryId });
        replace(title, `${d.event.type} to ${endpointName(d.webhook)}`);
        const list = d.attempts.edges.map((e) => attemptItem(e.node, attempts));
        const shown = d.attempts.totalCount > ATTEMPTS_SHOWN ? ` (the newest ${ATTEMPTS_SHOWN} of ${d.attempts.totalCount})` : '';
        replace(
          body,
          facts(d),
          h('h3', { id: 'delivery-attempts-title' }, `Attempts${shown}`),
          list.length ? h('ol', { class: 'attempts', 'aria-labelledby': 'delivery-attempts-title' }, ...list) : h('p', { class: 'muted' }, 'No attempt yet.'),
        );
      } catch (err) {
        replace(body, h('p', { class: 'error' }, `Could not load the delivery: ${(err as Error).message}`));
      }
    },
  };
}
