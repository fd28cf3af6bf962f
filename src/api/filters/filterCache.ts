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
  const compiled = new Map<string, CompiledFilter>();
  return {
    get(filterText: string): CompiledFilter {
      let filter = compiled.get(filterText);
      if (filter) compiled.delete(filterText);
      else filter = compileFilter(JSON.parse(filterText), (err) => onError(err, filterText));
      compiled.set(filterText, filter);
      if (compiled.size > MAX_ENTRIES) compiled.delete(compiled.keys().next().value!);
      return filter;
    },
    get size() {
      return compiled.size;
    },
  };
}
export type FilterCache = ReturnType<typeof createFilterCache>;
