import type { Api } from './api.ts';
import { DEAD_LETTERS, type DeadLetter, type DeliveryTiming, RECOVER, RETRY, type Webhook } from './documents.ts';
import { h, nextAttempt, replace, statusBadge, time } from './dom.ts';

export interface DeadLetters {
  refresh(): Promise<void>;
  /** The webhooks the recovery form offers. */
  setWebhooks(hooks: Webhook[]): void;
}

interface Els {
  list: HTMLElement;
  count: HTMLElement;
  form: HTMLFormElement;
  webhook: HTMLSelectElement;
  since: HTMLInputElement;
  until: HTMLInputElement;
}

/** Deliveries that spent every attempt (status FAILED): each can be retried, or a window recovered. */
export function createDeadLetters(api: Api, els: Els, changed: () => void, notify: (msg: string) => void): DeadLetters {
  const retry = async (d: DeadLetter, button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      const { retryDelivery: r } = await api.query<{ retryDelivery: { delivery: DeliveryTiming } }>(RETRY, { id: d.id });
      // Retried while its endpoint is disabled or failing, it leaves this list but does not go yet.
      notify(`Delivery ${d.id} queued again${r.delivery.heldBy ? `, ${nextAttempt(r.delivery)}` : ''}`);
      changed();
    } catch (err) {
      notify(`Retry refused: ${(err as Error).message}`);
      button.disabled = false;
    }
  };
  const item = (d: DeadLetter) => {
    const last = d.attempts.edges[0]?.node;
    const button = h('button', { type: 'button' }, 'Retry');
    button.addEventListener('click', () => void retry(d, button));
    return h(
      'li',
      { 'data-delivery-id': d.id },
      h('div', {}, last ? statusBadge(last.responseStatus, false) : null, ' ', h('span', { class: 'type' }, d.event.type)),
      h('div', { class: 'url muted' }, d.webhook.name ?? d.webhook.url),
      h(
        'div',
        { class: 'muted' },
        `${time(d.createdAt)} · ${d.attemptCount} attempt${d.attemptCount === 1 ? '' : 's'}${last?.error ? ` · ${last.error}` : ''}`,
      ),
      button,
    );
  };

  // Until someone picks one, the form offers the webhook of the newest dead letter.
  let picked = false;
  els.webhook.addEventListener('change', () => (picked = true));

  // A day back by default: the usual "our endpoint was down yesterday" recovery.
  const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  els.since.value = local(new Date(Date.now() - 24 * 3600_000));
  els.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = els.form.querySelector('button')!;
    button.disabled = true;
    try {
      const until = els.until.value ? new Date(els.until.value).toISOString() : null;
      const { recoverFailedDeliveries } = await api.query<{ recoverFailedDeliveries: { count: number } }>(RECOVER, {
        webhookId: els.webhook.value,
        since: new Date(els.since.value).toISOString(),
        until,
      });
      notify(`${recoverFailedDeliveries.count} dead letter(s) recovered and queued again`);
      changed();
    } catch (err) {
      notify(`Recovery refused: ${(err as Error).message}`);
    } finally {
      button.disabled = false;
    }
  });

  return {
    async refresh() {
      const { deliveries } = await api.query<{ deliveries: { totalCount: number; edges: { node: DeadLetter }[] } }>(DEAD_LETTERS);
      replace(els.count, String(deliveries.totalCount));
      els.count.classList.toggle('zero', deliveries.totalCount === 0);
      els.count.setAttribute('aria-label', `${deliveries.totalCount} dead letters`);
      const newest = deliveries.edges[0]?.node.webhook.id;
      if (!picked && newest) els.webhook.value = newest;
      const items = deliveries.edges.map((e) => item(e.node));
      replace(els.list, ...(items.length ? items : [h('li', { class: 'muted' }, 'None: every delivery got through or is still being tried.')]));
    },
    setWebhooks(hooks) {
      const chosen = els.webhook.value;
      replace(els.webhook, ...hooks.map((w) => h('option', { value: w.id, selected: w.id === chosen }, w.name ?? w.url)));
    },
  };
}
