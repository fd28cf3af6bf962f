import type { Api } from './api.ts';
import type { AttemptDialog } from './attemptDialog.ts';
import { type AttemptRow, FEED, LIVE_ATTEMPTS } from './documents.ts';
import { h, statusBadge, time } from './dom.ts';

const KEEP = 100;

function row(a: AttemptRow, dialog: AttemptDialog): HTMLElement {
  const button = h(
    'button',
    { type: 'button', class: 'row', 'aria-label': `${a.delivery.event.type} to ${a.delivery.webhook.url}: ${a.responseStatus ?? 'no answer'}, open details` },
    statusBadge(a.responseStatus, a.succeeded),
    h('span', { class: 'type' }, a.delivery.event.type),
    h('span', { class: 'url muted' }, a.delivery.webhook.name ?? a.delivery.webhook.url),
    h('span', { class: 'when muted' }, `${time(a.createdAt)} · ${a.durationMs} ms · #${a.attemptNumber}`),
  );
  button.addEventListener('click', () => void dialog.open(a.id, button));
  return h(
    'li',
    { 'data-attempt-id': a.id, 'data-delivery-id': a.delivery.id, 'data-event-id': a.delivery.event.id, class: a.succeeded ? 'ok' : 'fail' },
    button,
  );
}

/**
 * The latest attempts, then every new one as the worker records it (deliveryAttemptCreated over
 * graphql-ws), newest on top. `onAttempt` lets the rest of the page refresh its numbers.
 */
export async function startFeed(
  api: Api,
  list: HTMLElement,
  dialog: AttemptDialog,
  onAttempt: (a: AttemptRow) => void,
  onError: (err: unknown) => void,
): Promise<() => void> {
  const seen = new Set<string>();
  const add = (a: AttemptRow, atTop: boolean) => {
    if (seen.has(a.id)) return;
    seen.add(a.id);
    list.querySelector('.empty')?.remove();
    if (atTop) list.prepend(row(a, dialog));
    else list.append(row(a, dialog));
    while (list.children.length > KEEP) list.lastElementChild?.remove();
  };
  // Subscribe first, so nothing recorded between the first page and the subscription is missed.
  const stop = api.subscribe<{ deliveryAttemptCreated: AttemptRow | null }>(
    LIVE_ATTEMPTS,
    (data) => {
      if (!data.deliveryAttemptCreated) return;
      add(data.deliveryAttemptCreated, true);
      onAttempt(data.deliveryAttemptCreated);
    },
    onError,
  );
  const { attempts } = await api.query<{ attempts: { edges: { node: AttemptRow }[] } }>(FEED);
  const live = [...list.children];
  for (const { node } of attempts.edges) add(node, false);
  // Rows that arrived live while the page loaded are newer than the page: keep them on top.
  list.prepend(...live);
  if (!list.children.length) list.append(h('li', { class: 'muted empty' }, 'No attempts yet. Send a test event to see one arrive.'));
  return stop;
}
