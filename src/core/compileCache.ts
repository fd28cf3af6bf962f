/**
 * Compiled forms of texts (payload filters, JSON Schemas), keyed by the text itself rather than by a
 * version: a changed text misses the cache and is compiled, so nothing is matched in its old form.
 * Owners sharing a text share the entry. Least recently used entries go first once `max` are kept.
 */
export function createCompileCache<T>(max: number, compile: (text: string) => T) {
  const compiled = new Map<string, T>();
  return {
    get(text: string): T {
      let value = compiled.get(text);
      if (value !== undefined) compiled.delete(text);
      else value = compile(text);
      compiled.set(text, value);
      if (compiled.size > max) compiled.delete(compiled.keys().next().value!);
      return value;
    },
    get size() {
      return compiled.size;
    },
  };
}
