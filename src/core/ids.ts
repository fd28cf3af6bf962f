import { uuidv7 } from 'uuidv7';

export const ID_PREFIXES = {
  Project: 'prj',
  ApiKey: 'key',
  Webhook: 'whk',
  Event: 'evt',
  Delivery: 'dlv',
  DeliveryAttempt: 'att',
  EventType: 'ety',
} as const;

export type IdType = keyof typeof ID_PREFIXES;

/** `prefix_` + a UUIDv7 in hex: time-ordered, so sorting ids sorts by creation. */
export function newId(type: IdType): string {
  return `${ID_PREFIXES[type]}_${uuidv7().replaceAll('-', '')}`;
}

const TYPE_BY_PREFIX = new Map<string, IdType>(Object.entries(ID_PREFIXES).map(([type, prefix]) => [prefix, type as IdType]));

export function typeOfId(id: string): IdType | undefined {
  const underscore = id.indexOf('_');
  if (underscore <= 0) return undefined;
  return TYPE_BY_PREFIX.get(id.slice(0, underscore));
}
