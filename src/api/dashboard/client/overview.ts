import type { Api } from './api.ts';
import { OVERVIEW, SEND_TEST, type Stats, type StatsWindow, type Webhook } from './documents.ts';
import { h, ms, percent, replace, time } from './dom.ts';
import type { SecretDialog } from './secretDialog.ts';

interface OverviewData {
  viewer: { project: { id: string; name: string; stats: Stats & { backlog: number } } };
  webhooks: { edges: { node: Webhook }[] };
}

export interface Overview {
  refresh(): Promise<Webhook[]>;
}

function card(label: string, value: string, title?: string): HTMLElement[] {
  return [h('div', { class: 'card' }, h('dt', {}, label), h('dd', title ? { title } : {}, value))];
}

function hookCard(w: Webhook, sendTest: (w: Webhook) => void, secrets: SecretDialog): HTMLElement {
  const rotate = h('button', { type: 'button' }, 'Rotate secret');
  rotate.addEventListener('click', () => secrets.open(w, rotate));
  const state = !w.active
    ? h('span', { class: 'state off', title: w.disabledReason ?? '' }, 'disabled')
    : w.circuit.state === 'CLOSED'
      ? h('span', { class: 'state on' }, 'active')
      : // Held by its circuit breaker: say when it will be tried again.
        h('span', { class: 'state off', title: `next probe ${time(w.circuit.nextProbeAt)}` }, w.circuit.state === 'OPEN' ? 'circuit open' : 'probing');
  return h(
    'li',
    { class: `hook ${w.active ? '' : 'disabled'}`, 'data-webhook-id': w.id },
    h('div', { class: 'hook-head' }, h('strong', { class: 'url' }, w.name ?? w.url), state),
    w.name ? h('div', { class: 'url muted' }, w.url) : null,
    !w.active && w.disabledReason ? h('p', { class: 'reason' }, w.disabledReason) : null,
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
      h('dd', { class: 'secret-hint' }, `••••${w.secretHint}`, w.previousSecretExpiresAt ? ` (old one until ${time(w.previousSecretExpiresAt)})` : ''),
    ),
    h('div', { class: 'muted events' }, w.events.join(', ')),
    h('div', { class: 'actions' }, h('button', { type: 'button', disabled: !w.active, onclick: () => sendTest(w) }, 'Send test event'), rotate),
  );
}

/**
 * Project stats and the webhooks with theirs, for the chosen window. With a tenant token (the portal)
 * the API narrows both to the tenant: its endpoints, its attempts and backlog.
 */
export function createOverview(
  api: Api,
  els: { stats: HTMLElement; hooks: HTMLElement; window: () => StatsWindow; secrets: SecretDialog },
  notify: (msg: string) => void,
): Overview {
  const sendTest = async (w: Webhook) => {
    try {
      await api.query(SEND_TEST, { webhookId: w.id });
      notify(`Test event sent to ${w.url}`);
    } catch (err) {
      notify(`Could not send a test event: ${(err as Error).message}`);
    }
  };
  return {
    async refresh() {
      const data = await api.query<OverviewData>(OVERVIEW, { window: els.window() });
      const hooks = data.webhooks.edges.map((e) => e.node);
      const s = data.viewer.project.stats;
      replace(
        els.stats,
        ...card('Attempts', String(s.total)),
        ...card('Success rate', percent(s.successRate)),
        ...card('Failed', String(s.failed)),
        ...card('p50 / p95', `${ms(s.p50LatencyMs)} / ${ms(s.p95LatencyMs)}`),
        ...card('Backlog', String(s.backlog), 'Deliveries pending, retrying or held'),
      );
      replace(els.hooks, ...(hooks.length ? hooks.map((w) => hookCard(w, sendTest, els.secrets)) : [h('li', { class: 'muted' }, 'No endpoints yet.')]));
      return hooks;
    },
  };
}
