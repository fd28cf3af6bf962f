import type { Api } from './api.ts';
import { loadCatalog } from './catalog.ts';
import { replace, restoreFocus } from './dom.ts';
import { CREATE_WEBHOOK, UPDATE_WEBHOOK, WEBHOOK_SETTINGS, type WebhookInput, type WebhookSettings } from './endpointDocuments.ts';
import { createEventPicker } from './eventPicker.ts';
import { createFilterField } from './filterField.ts';
import { createHeadersField } from './headersField.ts';
import type { SecretDialog } from './secretDialog.ts';

export interface EndpointForm {
  create(opener: HTMLElement): Promise<void>;
  edit(webhookId: string, opener: HTMLElement): Promise<void>;
}

interface Created {
  createWebhook: { secret: string; webhook: { id: string; url: string; name: string | null } };
}

const seconds = (schedule: number[]) => (schedule.length ? schedule.map((s) => `${s} s`).join(', ') : 'no retries');

/** "60, 300, 900" → a schedule; empty → null (the project's policy); "none" → a single attempt. */
function parseRetry(text: string): { schedule: number[] } | null {
  const t = text.trim();
  if (!t) return null;
  if (t.toLowerCase() === 'none') return { schedule: [] };
  const schedule = t.split(/[\s,]+/).map(Number);
  if (schedule.some((s) => !Number.isFinite(s) || s < 0)) throw new Error('The retry schedule is seconds separated by commas, e.g. 60, 300, 900');
  return { schedule };
}

/**
 * Adding an endpoint and editing one: the same <form> in a modal <dialog>. An edit sends only what
 * changed, so fields the form does not show (or shows as hints, like sensitive headers) are kept.
 */
export function createEndpointForm(
  api: Api,
  dialog: HTMLDialogElement,
  secrets: SecretDialog,
  onSaved: () => void,
  notify: (msg: string) => void,
): EndpointForm {
  const $ = <T extends HTMLElement>(id: string) => dialog.querySelector<T>(`#${id}`)!;
  const form = $<HTMLFormElement>('endpoint-form');
  const title = $('endpoint-title');
  const save = $<HTMLButtonElement>('endpoint-save');
  const error = $('endpoint-error');
  const url = $<HTMLInputElement>('ep-url');
  const name = $<HTMLInputElement>('ep-name');
  const description = $<HTMLTextAreaElement>('ep-description');
  const ordered = $<HTMLInputElement>('ep-ordered');
  const retry = $<HTMLInputElement>('ep-retry');
  const retryHint = $('ep-retry-hint');
  const picker = createEventPicker($('ep-catalog'), $<HTMLInputElement>('ep-patterns'));
  const headers = createHeadersField($('ep-headers'), $<HTMLButtonElement>('ep-add-header'));
  const filter = createFilterField(api, {
    filter: $<HTMLTextAreaElement>('ep-filter'),
    type: $<HTMLSelectElement>('ep-try-type'),
    data: $<HTMLTextAreaElement>('ep-try-data'),
    tryButton: $<HTMLButtonElement>('ep-try'),
    result: $('ep-try-result'),
  });
  let editing: WebhookSettings | null = null;
  let initial: WebhookInput = {};
  let returnTo: HTMLElement | null = null;
  for (const id of ['endpoint-close', 'endpoint-cancel']) $(id).addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => restoreFocus(returnTo));

  const collect = (): WebhookInput => {
    const events = picker.value();
    if (!events.length) throw new Error('Pick at least one event type, or type a pattern such as order.*');
    return {
      url: url.value.trim(),
      name: name.value.trim() || null,
      description: description.value.trim() || null,
      events,
      filter: filter.value(),
      headers: headers.value(),
      ordered: ordered.checked,
      retryPolicy: parseRetry(retry.value),
    };
  };

  const fill = async (s: WebhookSettings | null, opener: HTMLElement) => {
    returnTo = opener;
    editing = s;
    replace(error);
    // Without the catalog the form still works: types can be typed as patterns.
    const catalog = await loadCatalog(api).catch((err: Error) => {
      replace(error, `Could not load the event types: ${err.message}. Type them under "Other types or patterns".`);
      return [];
    });
    url.value = s?.url ?? '';
    name.value = s?.name ?? '';
    description.value = s?.description ?? '';
    picker.set(catalog, s?.events ?? []);
    filter.set(s?.filter ?? null, catalog, s?.events ?? []);
    headers.set(s?.headers ?? {});
    ordered.checked = s?.ordered ?? false;
    const schedule = s?.retryPolicy?.schedule;
    retry.value = schedule ? schedule.join(', ') || 'none' : '';
    replace(
      retryHint,
      !s
        ? "Empty: the project's retry policy. none: a single attempt, no retries."
        : s.retryPolicy && !schedule
          ? `Set through the API as a backoff policy (now ${seconds(s.retrySchedule)}); a schedule typed here replaces it.`
          : `Empty: the project's retry policy. Now: ${seconds(s.retrySchedule)}.`,
    );
    // What the form reads back untouched: an edit sends only what differs from it.
    initial = s ? collect() : {};
    replace(title, s ? `Edit ${s.name ?? s.url}` : 'Add endpoint');
    replace(save, s ? 'Save changes' : 'Add endpoint');
    if (!dialog.open) dialog.showModal();
    url.focus();
  };

  const submit = async () => {
    const input = collect();
    if (!editing) {
      const given = Object.fromEntries(Object.entries(input).filter(([k, v]) => v != null && !(k === 'headers' && !Object.keys(v).length)));
      const { createWebhook: r } = await api.query<Created>(CREATE_WEBHOOK, { input: given });
      const opener = returnTo;
      // The secret dialog takes focus over; the form must not pull it back as it closes.
      returnTo = null;
      dialog.close();
      secrets.showCreated(r.webhook, r.secret, opener);
      notify(`Endpoint ${r.webhook.name ?? r.webhook.url} added`);
    } else {
      const changed = Object.fromEntries(Object.entries(input).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(initial[k as keyof WebhookInput])));
      if (Object.keys(changed).length) await api.query(UPDATE_WEBHOOK, { input: { id: editing.id, ...changed } });
      notify(Object.keys(changed).length ? `Endpoint ${input.name ?? input.url} saved` : 'Nothing changed');
      dialog.close();
    }
    onSaved();
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.disabled = true;
    replace(error);
    try {
      await submit();
    } catch (err) {
      replace(error, (err as Error).message);
    } finally {
      save.disabled = false;
    }
  });

  const open = async (load: () => Promise<WebhookSettings | null>, opener: HTMLElement) => {
    try {
      await fill(await load(), opener);
    } catch (err) {
      notify(`Could not open the endpoint form: ${(err as Error).message}`);
    }
  };
  return {
    create: (opener) => open(async () => null, opener),
    edit: (id, opener) => open(async () => (await api.query<{ webhook: WebhookSettings }>(WEBHOOK_SETTINGS, { id })).webhook, opener),
  };
}
