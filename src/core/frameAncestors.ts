/**
 * `HOOKPOST_PORTAL_FRAME_ANCESTORS`: which pages may embed the tenant portal in a frame, as the CSP
 * `frame-ancestors` source list. Only `'none'`, `'self'` and origins (`https://app.example.com`,
 * `https://*.example.com`, a port allowed) are accepted, so the value can never smuggle another
 * directive into the header. Separated by spaces or commas; quotes around none/self are optional.
 */
const ORIGIN = /^https?:\/\/(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$/;

export const DEFAULT_FRAME_ANCESTORS = "'none'";

export function parseFrameAncestors(value: string): string {
  const sources = value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => s.replace(/\/$/, ''));
  if (!sources.length) throw new Error("give 'none', 'self' or origins such as https://app.example.com");
  const normalized = sources.map((s) => {
    const bare = s.replace(/^'(.*)'$/, '$1').toLowerCase();
    if (bare === 'none' || bare === 'self') return `'${bare}'`;
    if (ORIGIN.test(s)) return s;
    throw new Error(`"${s}" is not 'none', 'self' or an origin such as https://app.example.com`);
  });
  if (normalized.includes("'none'") && normalized.length > 1) throw new Error("'none' cannot be combined with other sources");
  return [...new Set(normalized)].join(' ');
}
