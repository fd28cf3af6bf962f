import type { Api } from './api.ts';
import { loadCatalog, TEST_EVENT, withTestEvent } from './catalog.ts';
import type { Webhook } from './documents.ts';
import { type EventTypeEntry, SEND_TEST } from './endpointDocuments.ts';
import { h, replace, restoreFocus } from './dom.ts';

export interface TestEventDialog {
  open(webhook: Webhook, opener: HTMLElement): Promise<void>;
}

/** The data sendTestEvent sends for a type, as the server builds it, so the preview is what arrives. */
function sample(entry: EventTypeEntry | undefined, type: string): unknown {
  const base = (entry?.example as Record<string, unknown> | null) ?? { message: `A test ${type} event from Hookpost` };
  return { ...base, test: true };
}

/** Sends one test event of a chosen catalog type to one endpoint, showing the data it will carry. */
export function createTestEventDialog(api: Api, dialog: HTMLDialogElement, onSent: () => void, notify: (msg: string) => void): TestEventDialog {
  const form = dialog.querySelector<HTMLFormElement>('#test-form')!;
  const select = dialog.querySelector<HTMLSelectElement>('#test-type')!;
  const description = dialog.querySelector<HTMLElement>('#test-description')!;
  const preview = dialog.querySelector<HTMLElement>('#test-example')!;
  const error = dialog.querySelector<HTMLElement>('#test-error')!;
  const title = dialog.querySelector<HTMLElement>('#test-title')!;
  const send = dialog.querySelector<HTMLButtonElement>('#test-send')!;
  let returnTo: HTMLElement | null = null;
  let webhook: Webhook | null = null;
  let types: EventTypeEntry[] = [TEST_EVENT];
  dialog.querySelector('#test-close')!.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => restoreFocus(returnTo));

  const show = () => {
    const entry = types.find((t) => t.name === select.value);
    replace(description, entry?.description ?? 'No description in the catalog.');
    replace(preview, JSON.stringify(sample(entry, select.value), null, 2));
  };
  select.addEventListener('change', show);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!webhook) return;
    send.disabled = true;
    replace(error);
    try {
      await api.query(SEND_TEST, { webhookId: webhook.id, eventType: select.value });
      notify(`Test event ${select.value} sent to ${webhook.name ?? webhook.url}`);
      onSent();
      dialog.close();
    } catch (err) {
      replace(error, `Could not send a test event: ${(err as Error).message}`);
    } finally {
      send.disabled = false;
    }
  });

  return {
    async open(w, opener) {
      returnTo = opener;
      webhook = w;
      replace(title, `Send a test event to ${w.name ?? w.url}`);
      replace(error);
      try {
        types = withTestEvent(await loadCatalog(api));
      } catch (err) {
        // webhook.test needs no catalog: the dialog still works, and says why the list is short.
        types = [TEST_EVENT];
        replace(error, `Could not load the event types: ${(err as Error).message}`);
      }
      replace(select, ...types.map((t) => h('option', { value: t.name }, t.name)));
      select.value = TEST_EVENT.name;
      show();
      if (!dialog.open) dialog.showModal();
      select.focus();
    },
  };
}
