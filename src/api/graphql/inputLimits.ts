import { MAX_EVENT_TYPE_LENGTH } from '../../core/eventTypes.ts';
import { MAX_FILTER_BYTES, MAX_FILTER_DEPTH } from '../filters/webhookFilter.ts';
import { SCHEMA_LIMITS } from '../services/eventSchema.ts';
import { MAX_EVENTS_PER_CALL } from '../services/events.ts';
import { MAX_SENSITIVE_HEADERS } from '../services/webhookHeaders.ts';
import { MAX_EVENT_DATA_BYTES, MAX_EVENT_DATA_DEPTH } from '../services/validation.ts';

/**
 * What the edge (inputGuard.ts) holds one argument or input field to, before any resolver runs. Every
 * String and ID has a length, every list a number of items, every JSON value a size and a depth; the
 * schema prints each in the field's description, so a client can read its limits from introspection.
 */
export interface InputLimit {
  /** Characters (UTF-16 code units, as JavaScript counts them) of a String or ID, or of each item of a list of them. */
  maxLength?: number;
  /** Items of a list. */
  maxItems?: number;
  /** Bytes of a JSON value as UTF-8 JSON text, and how deeply its objects and arrays nest. */
  json?: { bytes: number; depth: number };
}

export const MAX_ID_LENGTH = 64;
export const MAX_STRING_LENGTH = 255;
export const MAX_LIST_ITEMS = 100;
/** Every JSON input's ceiling: what an event's data may be. Some fields take less (below). */
export const JSON_LIMIT = { bytes: MAX_EVENT_DATA_BYTES, depth: MAX_EVENT_DATA_DEPTH };

/** Longer or shorter than the default, by the field's name wherever it appears. */
const STRING_LENGTHS: Record<string, number> = {
  url: 2048,
  description: 2000,
  secret: 512,
  name: 200,
  type: MAX_EVENT_TYPE_LENGTH,
  eventType: MAX_EVENT_TYPE_LENGTH,
  events: MAX_EVENT_TYPE_LENGTH,
};

/** Where a name means something else than elsewhere: `Type.field` (an input field) or `Type.field.arg`. */
const BY_COORDINATE: Record<string, InputLimit> = {
  'CreateEventTypeInput.name': { maxLength: MAX_EVENT_TYPE_LENGTH },
  'PublishEventsInput.events': { maxItems: MAX_EVENTS_PER_CALL },
  'CreateWebhookInput.sensitiveHeaders': { maxItems: MAX_SENSITIVE_HEADERS },
  'UpdateWebhookInput.sensitiveHeaders': { maxItems: MAX_SENSITIVE_HEADERS },
};

const JSON_LIMITS: Record<string, InputLimit['json']> = {
  filter: { bytes: MAX_FILTER_BYTES, depth: MAX_FILTER_DEPTH },
  schema: { bytes: SCHEMA_LIMITS.bytes, depth: SCHEMA_LIMITS.depth },
};

export interface InputShape {
  /** The named type underneath any list and non-null wrappers: String, ID, JSON, an input object… */
  typeName: string;
  isList: boolean;
}

/** The limits of an argument or input field called `name` of this shape, at this coordinate. */
export function limitFor(coordinate: string, name: string, shape: InputShape): InputLimit {
  const limit: InputLimit = {};
  if (shape.typeName === 'ID') limit.maxLength = MAX_ID_LENGTH;
  if (shape.typeName === 'String') limit.maxLength = STRING_LENGTHS[name] ?? MAX_STRING_LENGTH;
  if (shape.typeName === 'JSON') limit.json = JSON_LIMITS[name] ?? JSON_LIMIT;
  if (shape.isList) limit.maxItems = MAX_LIST_ITEMS;
  return { ...limit, ...BY_COORDINATE[coordinate] };
}

const kib = (bytes: number) => `${bytes / 1024} KiB`;

/** The sentence a field's description ends with. */
export function describeLimit(limit: InputLimit): string | undefined {
  const parts: string[] = [];
  if (limit.maxItems !== undefined) parts.push(`At most ${limit.maxItems} items`);
  if (limit.maxLength !== undefined) {
    parts.push(limit.maxItems !== undefined ? `each of at most ${limit.maxLength} characters` : `At most ${limit.maxLength} characters`);
  }
  if (limit.json) {
    const json = `at most ${kib(limit.json.bytes)} as JSON, nested at most ${limit.json.depth} levels deep`;
    parts.push(limit.maxItems !== undefined ? `each ${json}` : `A${json.slice(1)}`);
  }
  return parts.length ? `${parts.join('; ')}.` : undefined;
}
