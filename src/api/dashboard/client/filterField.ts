import type { Api } from './api.ts';
import { exampleOf, withTestEvent } from './catalog.ts';
import { type EventTypeEntry, TEST_FILTER } from './endpointDocuments.ts';
import { h, replace } from './dom.ts';

export interface FilterField {
  set(filter: unknown, catalog: EventTypeEntry[], preferred: string[]): void;
  /** The filter as JSON, null when empty; throws with a readable message when it is not JSON. */
  value(): unknown;
}

interface Els {
  filter: HTMLTextAreaElement;
  type: HTMLSelectElement;
  data: HTMLTextAreaElement;
  tryButton: HTMLButtonElement;
  result: HTMLElement;
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not JSON: ${(err as Error).message}`);
  }
}

/**
 * The optional payload filter, with a trial: testWebhookFilter says whether an event of a chosen type
 * with the given data would get through, by the same checks publishing applies. Nothing is sent.
 */
export function createFilterField(api: Api, els: Els): FilterField {
  let types: EventTypeEntry[] = [];
  const fillData = () => {
    els.data.value = exampleOf(types.find((t) => t.name === els.type.value));
  };
  els.type.addEventListener('change', fillData);
  const read = (): unknown => {
    const text = els.filter.value.trim();
    return text ? parse(text, 'The filter') : null;
  };
  els.tryButton.addEventListener('click', async () => {
    replace(els.result);
    els.result.className = '';
    try {
      const filter = read();
      if (filter == null) throw new Error('Write a filter first: with none, every event of the subscribed types is delivered.');
      const data = parse(els.data.value.trim() || '{}', 'The sample data');
      els.tryButton.disabled = true;
      const { testWebhookFilter } = await api.query<{ testWebhookFilter: { matches: boolean } }>(TEST_FILTER, {
        input: { filter, type: els.type.value, data },
      });
      els.result.className = testWebhookFilter.matches ? 'match' : 'no-match';
      replace(els.result, testWebhookFilter.matches ? `Matches: this ${els.type.value} event would be delivered.` : 'No match: this event would be skipped.');
    } catch (err) {
      els.result.className = 'error';
      replace(els.result, (err as Error).message);
    } finally {
      els.tryButton.disabled = false;
    }
  });
  return {
    set(filter, catalog, preferred) {
      els.filter.value = filter == null ? '' : JSON.stringify(filter, null, 2);
      types = withTestEvent(catalog);
      replace(els.type, ...types.map((t) => h('option', { value: t.name }, t.name)));
      // Trying it on a type the endpoint subscribes to is the likely question.
      els.type.value = types.find((t) => preferred.includes(t.name))?.name ?? types[0].name;
      fillData();
      replace(els.result);
      els.result.className = '';
    },
    value: read,
  };
}
