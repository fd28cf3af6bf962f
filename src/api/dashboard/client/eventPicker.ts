import type { EventTypeEntry } from './endpointDocuments.ts';
import { h, replace } from './dom.ts';

export interface EventPicker {
  /** Shows the catalog, the given subscriptions ticked; those not in it go to the patterns field. */
  set(catalog: EventTypeEntry[], events: string[]): void;
  /** Ticked types, then the typed patterns, without duplicates. */
  value(): string[];
}

/**
 * The event types an endpoint subscribes to: the catalog as checkboxes, each with its description,
 * and a free field for wildcards ("order.*", "*") and types the catalog does not list.
 */
export function createEventPicker(list: HTMLElement, patterns: HTMLInputElement): EventPicker {
  const boxes = (): HTMLInputElement[] => [...list.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')];
  return {
    set(catalog, events) {
      const listed = new Set(catalog.map((t) => t.name));
      const items = catalog.map((t, i) => {
        const id = `ep-type-${i}`;
        return h(
          'li',
          {},
          h('input', { type: 'checkbox', id, value: t.name, checked: events.includes(t.name), 'aria-describedby': t.description ? `${id}-about` : null }),
          h('label', { for: id }, h('code', {}, t.name)),
          t.description ? h('span', { id: `${id}-about`, class: 'muted about' }, t.description) : null,
        );
      });
      replace(list, ...(items.length ? items : [h('li', { class: 'muted' }, 'The catalog lists no event types: name them below.')]));
      patterns.value = events.filter((e) => !listed.has(e)).join(', ');
    },
    value() {
      const ticked = boxes()
        .filter((b) => b.checked)
        .map((b) => b.value);
      const typed = patterns.value
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      return [...new Set([...ticked, ...typed])];
    },
  };
}
