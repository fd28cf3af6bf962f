import { createCompileCache } from '../../core/compileCache.ts';
import { compileFilter, type CompiledFilter } from './webhookFilter.ts';

const MAX_ENTRIES = 5000;

/**
 * Compiled filters for the publish path, keyed by the filter's own text as the subscriber read
 * returns it (`webhooks.filter::text`). The key is the stored filter itself rather than a version
 * number, so a filter changed by `updateWebhook` is never matched in its old form: the next read
 * returns the new text, which misses the cache and is compiled. Webhooks sharing a filter share the
 * entry. Least recently used entries go first once the cache is full.
 */
export function createFilterCache(onError: (err: unknown, filterText: string) => void) {
  return createCompileCache<CompiledFilter>(MAX_ENTRIES, (text) => compileFilter(JSON.parse(text), (err) => onError(err, text)));
}
export type FilterCache = ReturnType<typeof createFilterCache>;
