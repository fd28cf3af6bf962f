// The tenant portal's entry: a tenant token handed over in the URL fragment (`/portal#token=…`).
// A fragment never reaches a server (nor its logs, nor a Referer), and the token is read once, kept in
// this page's memory only (no storage, no cookie) and wiped from the address bar at once, so it is
// neither in the history nor in a bookmark or a copied link.

/** The token in `#token=…`, if any; the fragment is cleared from the address bar either way. */
export function takeTokenFromFragment(): string | null {
  if (!location.hash) return null;
  const token = new URLSearchParams(location.hash.slice(1)).get('token')?.trim() || null;
  history.replaceState(history.state, '', location.pathname + location.search);
  return token;
}
