import type { DeliveryStatus, LogDelivery } from './deliveryDocuments.ts';
import { h, nextAttempt, statusBadge, time } from './dom.ts';

/** A delivery's status as a coloured word; the colour is never the only sign of it. */
export function statusPill(status: DeliveryStatus): HTMLElement {
  return h('span', { class: `dstatus ${status.toLowerCase()}` }, status.toLowerCase());
}

/**
 * When an open delivery goes next, or what holds it; a settled one goes nowhere. A pending delivery
 * without a due time is on its way already.
 */
export function whatNext(d: LogDelivery | Omit<LogDelivery, 'attempts'>): string {
  if (d.status === 'SUCCEEDED' || d.status === 'FAILED') return 'done';
  return d.nextAttemptAt || d.heldBy ? nextAttempt(d) : 'now';
}

export const endpointName = (w: LogDelivery['webhook']): string => w.name ?? w.url;

/**
 * One row of the log, a single button so a keyboard opens it with Enter. `data-focus` lets the row
 * keep focus when the log is redrawn around it (see restoreFocus).
 */
export function deliveryRow(d: LogDelivery, open: (d: LogDelivery, opener: HTMLButtonElement) => void): HTMLElement {
  const last = d.attempts.edges[0]?.node;
  const attempts = `${d.attemptCount} attempt${d.attemptCount === 1 ? '' : 's'}`;
  const next = whatNext(d);
  const button = h(
    'button',
    {
      type: 'button',
      class: 'row',
      'data-focus': `log:${d.id}`,
      'aria-label': `${d.status.toLowerCase()}: ${d.event.type} to ${endpointName(d.webhook)}, ${attempts}, created ${time(d.createdAt)}. Open delivery ${d.id}`,
    },
    h('span', { class: 'status' }, statusPill(d.status), last ? statusBadge(last.responseStatus, last.succeeded) : null),
    h('span', { class: 'what' }, h('span', { class: 'type' }, d.event.type), h('span', { class: 'ids muted' }, `${d.event.id} · ${d.id}`)),
    h('span', { class: 'url' }, endpointName(d.webhook)),
    h('span', { class: 'attempts muted' }, attempts),
    h('span', { class: `next muted ${d.heldBy ? 'held' : ''}` }, next === 'done' ? '' : `next: ${next}`),
    h('span', { class: 'when muted' }, time(d.createdAt)),
  );
  button.addEventListener('click', () => open(d, button));
  return h(
    'li',
    { 'data-delivery-id': d.id, 'data-event-id': d.event.id, 'data-webhook-id': d.webhook.id, 'data-status': d.status, class: d.status.toLowerCase() },
    button,
  );
}
