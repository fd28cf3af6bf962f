import { type Api, ApiError } from './api.ts';
import type { AttemptDialog } from './attemptDialog.ts';
import { createDeliveryDialog } from './deliveryDialog.ts';
import { DELIVERY_LOG, DELIVERY_ROW, type DeliveryPage, type LogDelivery } from './deliveryDocuments.ts';
import { createDeliveryFilters, type LogQuery } from './deliveryFilters.ts';
import { deliveryRow } from './deliveryRow.ts';
import type { Webhook } from './documents.ts';
import { byId, h, replace } from './dom.ts';

export interface DeliveryLog {
  /** Loads the page shown again: statuses move on, and the newest page takes new deliveries. */
  refresh(): Promise<void>;
  /** The endpoints the filter offers. */
  setWebhooks(hooks: Webhook[]): void;
}

/**
 * The delivery history: `deliveries(…)` filtered and paged by cursor, newest first. With a tenant
 * token the API itself narrows it to the tenant's deliveries, so the page asks the same either way.
 */
export function createDeliveryLog(api: Api, attempts: AttemptDialog): DeliveryLog {
  const list = byId('log');
  const summary = byId('log-summary');
  const newer = byId<HTMLButtonElement>('log-newer');
  const older = byId<HTMLButtonElement>('log-older');
  const pageLabel = byId('log-page');
  const view = createDeliveryDialog(api, byId<HTMLDialogElement>('delivery-dialog'), attempts);
  const filters = createDeliveryFilters(
    api,
    {
      form: byId<HTMLFormElement>('log-filters'),
      search: byId<HTMLInputElement>('log-search'),
      webhook: byId<HTMLSelectElement>('log-webhook'),
      status: byId<HTMLSelectElement>('log-status'),
      type: byId<HTMLInputElement>('log-type'),
      types: byId<HTMLDataListElement>('log-types'),
      since: byId<HTMLInputElement>('log-since'),
      until: byId<HTMLInputElement>('log-until'),
      size: byId<HTMLSelectElement>('log-size'),
    },
    () => void restart(),
  );
  const open = (d: LogDelivery, opener: HTMLButtonElement) => void view.open(d.id, opener);

  // The `after` cursors of the pages before this one. "Newer" goes back to the cursor it came from,
  // so a page holds the rows it held (deliveries made meanwhile land on the newest page only).
  const back: (string | null)[] = [];
  let after: string | null = null;
  let next: string | null = null;
  // Only the latest load draws: a filter changed mid-load must not be overwritten by the old answer.
  let seq = 0;
  // The filters as last applied: a refresh or a page turn must not pick up a half-typed search.
  let applied: LogQuery = filters.read();

  const show = (rows: LogDelivery[], text: string, empty: string) => {
    const focused = list.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.focus : undefined;
    replace(list, ...(rows.length ? rows.map((d) => deliveryRow(d, open)) : [h('li', { class: 'muted empty' }, empty)]));
    // A live region: a refresh that changes nothing must not be read out again.
    if (summary.textContent !== text) replace(summary, text);
    if (focused) list.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
  };

  const pager = (hasNewer: boolean, hasOlder: boolean, label: string) => {
    const had = document.activeElement;
    newer.disabled = !hasNewer;
    older.disabled = !hasOlder;
    replace(pageLabel, label);
    // A button that just went disabled drops the keyboard on the body: hand it to the other one.
    if ((had === newer || had === older) && (had as HTMLButtonElement).disabled) (hasNewer ? newer : hasOlder ? older : list).focus();
  };

  const fail = (message: string) => {
    show([], message, 'Nothing to show.');
    summary.classList.add('error');
    pager(back.length > 0, false, '');
  };

  const load = async () => {
    const mine = ++seq;
    list.setAttribute('aria-busy', 'true');
    summary.classList.remove('error');
    const q = applied;
    try {
      if ('error' in q) return fail(q.error);
      if (q.search.kind === 'unknown') {
        return fail(
          `“${q.search.text}” is neither an event id (evt_…) nor a delivery id (dlv_…). Idempotency keys cannot be searched: the API has no lookup by key.`,
        );
      }
      if (q.search.kind === 'delivery') {
        const { delivery } = await api.query<{ delivery: LogDelivery }>(DELIVERY_ROW, { id: q.search.id });
        if (mine !== seq) return;
        show([delivery], `Delivery ${delivery.id}, found by its id; clear the search for the rest of the log.`, '');
        return pager(false, false, '');
      }
      const eventId = q.search.kind === 'event' ? q.search.id : null;
      const { deliveries } = await api.query<{ deliveries: DeliveryPage }>(DELIVERY_LOG, { ...q.filter, eventId, first: q.pageSize, after });
      if (mine !== seq) return;
      next = deliveries.pageInfo.hasNextPage ? deliveries.pageInfo.endCursor : null;
      const rows = deliveries.edges.map((e) => e.node);
      const total = deliveries.totalCount;
      const pages = Math.max(1, Math.ceil(total / q.pageSize));
      const what = `${total} ${total === 1 ? 'delivery' : 'deliveries'}${q.filtered ? ' match' : ''}${eventId ? ` (event ${eventId})` : ''}`;
      show(rows, what, q.filtered ? 'No deliveries match these filters.' : 'No deliveries yet. Publish an event or send a test event to see one.');
      pager(back.length > 0, next != null, `Page ${back.length + 1} of ${pages}`);
    } catch (err) {
      if (mine !== seq) return;
      // A foreign or unknown id is NOT_FOUND, exactly as for an id that never existed.
      const notFound = err instanceof ApiError && err.code === 'NOT_FOUND';
      const search = 'error' in q ? undefined : q.search;
      if (notFound && search?.kind === 'delivery') fail(`No delivery ${search.id} is visible with this key.`);
      else if (notFound && search?.kind === 'event') fail(`No event ${search.id} is visible with this key.`);
      else fail(`Could not load deliveries: ${(err as Error).message}`);
    } finally {
      if (mine === seq) list.setAttribute('aria-busy', 'false');
    }
  };

  const restart = () => {
    applied = filters.read();
    back.length = 0;
    after = null;
    return load();
  };

  older.addEventListener('click', () => {
    if (next == null) return;
    back.push(after);
    after = next;
    // A second click before this page arrives must not skip one.
    next = null;
    void load();
  });
  newer.addEventListener('click', () => {
    if (!back.length) return;
    after = back.pop() ?? null;
    void load();
  });

  return {
    refresh: () => load(),
    setWebhooks: (hooks) => filters.setWebhooks(hooks),
  };
}
