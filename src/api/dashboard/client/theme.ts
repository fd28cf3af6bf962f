// The page's look, set by the embedding SaaS so the portal reads as part of its product: the query
// string's `brand`, `accent`, `bg`, `panel`, `text`, `muted`, `line` and `scheme` (light | dark), or the
// same keys as one JSON object in `theme`. Colours are hex only and the name is set as text: nothing
// from the URL becomes markup, a style rule or a request.

export interface Theme {
  brand: string | null;
  colors: Record<string, string>;
  scheme: 'light' | 'dark' | null;
}

const COLOR_KEYS = ['accent', 'bg', 'panel', 'text', 'muted', 'line'] as const;
const HEX = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

export function readTheme(query: URLSearchParams): Theme {
  let given: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(query.get('theme') ?? '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) given = parsed as Record<string, unknown>;
  } catch {
    // A theme that is not JSON is ignored, like any bad value: the page keeps its own look.
  }
  const value = (key: string) => {
    const v = query.get(key) ?? given[key];
    return typeof v === 'string' ? v.trim() : undefined;
  };
  const colors: Record<string, string> = {};
  for (const key of COLOR_KEYS) {
    const v = value(key);
    if (v && HEX.test(v)) colors[key] = v;
  }
  const brand = value('brand')?.slice(0, 60) || null;
  const scheme = value('scheme');
  return { brand, colors, scheme: scheme === 'light' || scheme === 'dark' ? scheme : null };
}

/** Applies a theme through the CSSOM (allowed by the page's CSP, unlike inline style markup). */
export function applyTheme(theme: Theme, root = document.documentElement): void {
  if (theme.scheme) root.dataset.scheme = theme.scheme;
  for (const [key, color] of Object.entries(theme.colors)) root.style.setProperty(`--${key}`, color);
}
