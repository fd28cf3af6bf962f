// Every subscriber of a topic in this process receives the very same message object (the Redis
// message is parsed once), so a load keyed by that object and the selection runs once per message
// and selection, however many dashboards are watching: the multiplexing Hasura does for live queries.
const loads = new WeakMap<object, Map<string, Promise<unknown>>>();

/** Runs `load` once per message and Pothos query; later callers with the same pair share its result. */
export function loadOncePerMessage<T>(message: object, query: unknown, load: () => Promise<T>): Promise<T> {
  let byQuery = loads.get(message);
  if (!byQuery) {
    byQuery = new Map();
    loads.set(message, byQuery);
  }
  const key = JSON.stringify(query);
  let result = byQuery.get(key) as Promise<T> | undefined;
  if (!result) {
    result = load();
    byQuery.set(key, result);
  }
  return result;
}
