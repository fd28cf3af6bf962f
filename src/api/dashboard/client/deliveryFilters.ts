import type { Api } from './api.ts';
import { loadCatalog } from './catalog.ts';
import type { DeliveryStatus, LogFilter } from './deliveryDocuments.ts';
import type { Webhook } from './documents.ts';
import { h, replace } from './dom.ts';

/**
 * What the search box asks for. The API looks up events and deliveries by id; it has no lookup by
 * idempotency key (a key only makes publishEvent answer with the first event), so the box says so
 * instead of searching for one.
 */
export type Search = { kind: 'none' } | { kind: 'event'; id: string } | { kind: 'delivery'; id: string } | { kind: 'unknown'; text: string };

export function parseSearch(text: string): Search {
  const t = text.trim();
  if (!t) return { kind: 'none' };
  if (t.startsWith('evt_')) return { kind: 'event', id: t };
  if (t.startsWith('dlv_')) return { kind: 'delivery', id: t };
  return { kind: 'unknown', text: t };
}

export type LogQuery = { filter: LogFilter; search: Search; pageSize: number; filtered: boolean } | { error: string };

export interface DeliveryFilters {
  read(): LogQuery;
  setWebhooks(hooks: Webhook[]): void;
}

interface Els {
  form: HTMLFormElement;
  search: HTMLInputElement;
  webhook: HTMLSelectElement;
  status: HTMLSelectElement;
  type: HTMLInputElement;
  types: HTMLDataListElement;
  since: HTMLInputElement;
  until: HTMLInputElement;
  size: HTMLSelectElement;
}

/** A datetime-local value (the reader's local time) as the API's DateTime; empty or unreadable: no bound. */
function instant(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * The log's filter form. A select or a time changes the log at once; the search and the type are
 * typed, so they apply on Enter or when the field is left. `changed` asks the log to start again
 * from its newest page.
 */
export function createDeliveryFilters(api: Api, els: Els, changed: () => void): DeliveryFilters {
  let catalog: string[] = [];
  let hookTypes: string[] = [];
  const suggest = () => {
    const names = [...new Set([...catalog, ...hookTypes])].sort();
    replace(els.types, ...names.map((name) => h('option', { value: name })));
  };
  // Suggestions only: a failed catalog read leaves the field a plain text box.
  loadCatalog(api).then(
    (entries) => {
      catalog = entries.map((e) => e.name);
      suggest();
    },
    () => {},
  );

  els.form.addEventListener('submit', (e) => {
    e.preventDefault();
    changed();
  });
  els.form.addEventListener('change', (e) => {
    // The search applies on Enter only: leaving a half-typed id should not search for it.
    if (e.target !== els.search) changed();
  });
  // The form resets its fields after this event: read them once it has.
  els.form.addEventListener('reset', () => setTimeout(changed));

  return {
    read() {
      const since = instant(els.since.value);
      const until = instant(els.until.value);
      if (since && until && until <= since) return { error: 'The end of the time range must be after its start.' };
      const filter: LogFilter = {
        webhookId: els.webhook.value || null,
        status: (els.status.value || null) as DeliveryStatus | null,
        eventType: els.type.value.trim() || null,
        eventId: null,
        since,
        until,
      };
      const search = parseSearch(els.search.value);
      const filtered = search.kind !== 'none' || Object.values(filter).some((v) => v != null);
      return { filter, search, pageSize: Number(els.size.value) || 25, filtered };
    },
    setWebhooks(hooks) {
      const chosen = els.webhook.value;
      // No `selected` attribute: the form's reset goes back to "All endpoints", not to the last choice.
      replace(els.webhook, h('option', { value: '' }, 'All endpoints'), ...hooks.map((w) => h('option', { value: w.id }, w.name ?? w.url)));
      // A deleted endpoint's filter would be NOT_FOUND: it falls back to all of them.
      els.webhook.value = hooks.some((w) => w.id === chosen) ? chosen : '';
      hookTypes = hooks.flatMap((w) => w.events).filter((t) => !t.includes('*'));
      suggest();
    },
  };
}
