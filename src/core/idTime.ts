import { ID_PREFIXES, type IdType } from './ids.ts';

/**
 * The smallest id `newId(type)` can produce at `at`. Ids are `prefix_` + a UUIDv7 in hex whose first
 * 12 digits are the unix milliseconds, so `id >= idFloor(type, t)` is a time bound the primary key
 * (or any index ending in id) can range-scan, where `created_at >= t` alone would need its own index.
 */
export function idFloor(type: IdType, at: Date): string {
  const ms = Math.max(0, Math.floor(at.getTime()));
  return `${ID_PREFIXES[type]}_${ms.toString(16).padStart(12, '0')}${'0'.repeat(20)}`;
}

/**
 * Ids come from the clock of the process that made them, created_at sometimes from the database's:
 * bounds derived from ids are widened by this much and the exact bound is left to created_at.
 */
export const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;
