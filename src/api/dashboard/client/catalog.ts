import type { Api } from './api.ts';
import { EVENT_TYPES, type EventTypeEntry } from './endpointDocuments.ts';

/** The type sendTestEvent sends when given none: always offered, catalog or not. */
export const TEST_EVENT: EventTypeEntry = { name: 'webhook.test', description: "Hookpost's own test event", example: null };

/**
 * The project's event-type catalog (a tenant token reads it too). Asked again each time a form opens,
 * so a type added meanwhile shows up without a reload.
 */
export async function loadCatalog(api: Api): Promise<EventTypeEntry[]> {
  const { eventTypes } = await api.query<{ eventTypes: { edges: { node: EventTypeEntry }[] } }>(EVENT_TYPES);
  return eventTypes.edges.map((e) => e.node);
}

/** The catalog with webhook.test first, for pickers that send or try an event. */
export function withTestEvent(catalog: EventTypeEntry[]): EventTypeEntry[] {
  return [TEST_EVENT, ...catalog.filter((t) => t.name !== TEST_EVENT.name)];
}

export function exampleOf(entry: EventTypeEntry | undefined): string {
  return JSON.stringify(entry?.example ?? {}, null, 2);
}
