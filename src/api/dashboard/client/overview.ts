import type { Api } from './api.ts';
import { OVERVIEW, PORTAL_OVERVIEW, SEND_TEST, type Stats, type StatsWindow, type Webhook } from './documents.ts';
import { h, ms, percent, replace, time } from './dom.ts';
import type { SecretDialog } from './secretDialog.ts';

interface OverviewData {
  viewer?: { project: { id: string; name: string; stats: Stats & { backlog: number } } };
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
  const state = w.active
    ? h('span', { class: 'state on' }, 'active')
    : h('span', { class: 'state off', title: w.disabledReason ?? '' }, 'disabled');
  return h(
    'li',
    { class: `hook ${w.active ? '' : 'disabled'}`, 'data-webhook-id': w.id },
    h('div', { class: 'hook-head' }, h('strong', { class: 'url' }, w.name ?? w.url), state),
    w.name ? h('div', { class: 'url muted' }, w.url) : null,
    !w.active && w.disabledReason ? h('p', { class: 'reason' }, w.disabledReason) : null,
    h(
      'dl',
      { class: 'mini' },
      h('dt', {}, 'attempts'), h('dd', {}, w.stats.total),
      h('dt', {}, 'success'), h('dd', {}, percent(w.stats.successRate)),
      h('dt', {}, 'p50 / p95'), h('dd', {}, `${ms(w.stats.p50LatencyMs)} / ${ms(w.stats.p95LatencyMs)}`),
      h('dt', {}, 'last success'), h('dd', {}, time(w.stats.lastSuccessAt)),
      h('dt', {}, 'last failure'), h('dd', {}, time(w.stats.lastFailureAt)),
      h('dt', {}, 'secret'), h('dd', { class: 'secret-hint' }, `••••${w.secretHint}`, w.previousSecretExpiresAt ? ` (old one until ${time(w.previousSecretExpiresAt)})` : ''),
    ),
    h('div', { class: 'muted events' }, w.events.join(', ')),
    h('div', { class: 'actions' }, h('button', { type: 'button', disabled: !w.active, onclick: () => sendTest(w) }, 'Send test event'), rotate),
  );
}

/** A tenant's own totals, summed over its endpoints (latency percentiles do not add up, so none). */
function tenantCards(hooks: Webhook[]): HTMLElement[] {
  const sum = (f: (s: Stats) => number) => hooks.reduce((n, w) => n + f(w.stats), 0);
  const total = sum((s) => s.total);
  return [
    ...card('Endpoints', String(hooks.length)),
    ...card('Attempts', String(total)),
    ...card('Success rate', percent(total ? sum((s) => s.succeeded) / total : null)),
    ...card('Failed', String(sum((s) => s.failed))),
  ];
}

/**
 * Project stats and the webhooks with theirs, for the chosen window; in a tenant's portal, the
 * tenant's endpoints and their totals.
 */
export function createOverview(
  api: Api,
  els: { stats: HTMLElement; hooks: HTMLElement; window: () => StatsWindow; portal: boolean; secrets: SecretDialog },
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
      const data = await api.query<OverviewData>(els.portal ? PORTAL_OVERVIEW : OVERVIEW, { window: els.window() });
      const hooks = data.webhooks.edges.map((e) => e.node);
      const cards = () => {
        if (!data.viewer) return tenantCards(hooks);
        const s = data.viewer.project.stats;
        return [
          ...card('Attempts', String(s.total)),
          ...card('Success rate', percent(s.successRate)),
          ...card('Failed', String(s.failed)),
          ...card('p50 / p95', `${ms(s.p50LatencyMs)} / ${ms(s.p95LatencyMs)}`),
          ...card('Backlog', String(s.backlog), 'Deliveries pending, retrying or held'),
        ];
      };
      replace(els.stats, ...cards());
      replace(els.hooks, ...(hooks.length ? hooks.map((w) => hookCard(w, sendTest, els.secrets)) : [h('li', { class: 'muted' }, 'No endpoints yet.')]));
      return hooks;
    },
  };
}
