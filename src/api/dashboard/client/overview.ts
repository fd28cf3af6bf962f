import type { Api } from './api.ts';
import { OVERVIEW, type Stats, type StatsWindow, type Webhook } from './documents.ts';
import { h, ms, percent, replace } from './dom.ts';
import type { EndpointList } from './endpointList.ts';

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

/**
 * Project stats and the endpoints with theirs, for the chosen window, in one query. With a tenant
 * token (the portal) the API narrows both to the tenant: its endpoints, its attempts and backlog.
 */
export function createOverview(api: Api, els: { stats: HTMLElement; endpoints: EndpointList; window: () => StatsWindow }): Overview {
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
      els.endpoints.render(hooks);
      return hooks;
    },
  };
}
