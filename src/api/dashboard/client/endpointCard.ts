import type { Webhook } from './documents.ts';
import { h, ms, percent, time } from './dom.ts';

export type EndpointAction = 'edit' | 'test' | 'toggle' | 'rotate' | 'finish' | 'delete';

function state(w: Webhook): HTMLElement {
  if (!w.active) return h('span', { class: 'state off', title: w.disabledReason ?? '' }, 'disabled');
  if (w.circuit.state === 'CLOSED') return h('span', { class: 'state on' }, 'active');
  // Held by its circuit breaker: say when it will be tried again.
  return h('span', { class: 'state off', title: `next probe ${time(w.circuit.nextProbeAt)}` }, w.circuit.state === 'OPEN' ? 'circuit open' : 'probing');
}

/**
 * One endpoint: its state, stats and subscriptions, and what can be done to it. Each button carries
 * `data-focus`, so focus survives the card being redrawn (see restoreFocus).
 */
export function endpointCard(w: Webhook, act: (action: EndpointAction, w: Webhook, button: HTMLButtonElement) => void): HTMLElement {
  const titleId = `hook-title-${w.id}`;
  const button = (action: EndpointAction, label: string, attrs: Record<string, string | boolean> = {}) => {
    const b = h('button', { type: 'button', 'data-action': action, 'data-focus': `${w.id}:${action}`, 'aria-describedby': titleId, ...attrs }, label);
    b.addEventListener('click', () => act(action, w, b));
    return b;
  };
  return h(
    'li',
    { class: `hook ${w.active ? '' : 'disabled'}`, 'data-webhook-id': w.id },
    h('div', { class: 'hook-head' }, h('strong', { class: 'url', id: titleId }, w.name ?? w.url), state(w)),
    w.name ? h('div', { class: 'url muted' }, w.url) : null,
    w.description ? h('p', { class: 'description' }, w.description) : null,
    !w.active && w.disabledReason ? h('p', { class: 'reason' }, w.disabledReason) : null,
    w.active && w.circuit.state !== 'CLOSED' ? h('p', { class: 'reason' }, `Failing: deliveries wait for the probe at ${time(w.circuit.nextProbeAt)}.`) : null,
    w.previousSecretExpiresAt
      ? h(
          'p',
          { class: 'rotation' },
          `Secret rotation under way: the old secret still signs until ${time(w.previousSecretExpiresAt)}; finish once your receiver has the new secret.`,
        )
      : null,
    h(
      'dl',
      { class: 'mini' },
      h('dt', {}, 'attempts'),
      h('dd', {}, w.stats.total),
      h('dt', {}, 'success'),
      h('dd', {}, percent(w.stats.successRate)),
      h('dt', {}, 'p50 / p95'),
      h('dd', {}, `${ms(w.stats.p50LatencyMs)} / ${ms(w.stats.p95LatencyMs)}`),
      h('dt', {}, 'last success'),
      h('dd', {}, time(w.stats.lastSuccessAt)),
      h('dt', {}, 'last failure'),
      h('dd', {}, time(w.stats.lastFailureAt)),
      h('dt', {}, 'secret'),
      h('dd', { class: 'secret-hint' }, `••••${w.secretHint}`),
      w.tenantId ? h('dt', {}, 'tenant') : null,
      w.tenantId ? h('dd', {}, w.tenantId) : null,
    ),
    h('div', { class: 'muted events' }, w.events.join(', ')),
    h(
      'div',
      { class: 'actions' },
      button('edit', 'Edit'),
      // The API refuses a test event for a disabled endpoint; the button says so first.
      button('test', 'Send test event', { disabled: !w.active }),
      button('toggle', w.active ? 'Disable' : 'Enable'),
      button('rotate', 'Rotate secret'),
      w.previousSecretExpiresAt ? button('finish', 'Finish rotation') : null,
      button('delete', 'Delete', { class: 'danger' }),
    ),
  );
}
