// Event types are dot-separated names ("order.shipped"). Subscriptions may use `*` for one segment;
// a trailing `*` matches one or more segments, so "order.*" also covers "order.item.added" and
// "*" alone matches every type.

const SEGMENT = '[A-Za-z0-9_-]+';
const TYPE_RE = new RegExp(`^${SEGMENT}(\\.${SEGMENT})*$`);
const PATTERN_RE = new RegExp(`^(${SEGMENT}|\\*)(\\.(${SEGMENT}|\\*))*$`);
export const MAX_EVENT_TYPE_LENGTH = 128;

export function isValidEventType(type: string): boolean {
  return type.length <= MAX_EVENT_TYPE_LENGTH && TYPE_RE.test(type);
}

export function isValidEventPattern(pattern: string): boolean {
  return pattern.length <= MAX_EVENT_TYPE_LENGTH && PATTERN_RE.test(pattern);
}

export function patternMatches(pattern: string, type: string): boolean {
  const want = pattern.split('.');
  const have = type.split('.');
  for (let i = 0; i < want.length; i++) {
    const last = i === want.length - 1;
    if (want[i] === '*' && last) return have.length > i;
    if (i >= have.length) return false;
    if (want[i] !== '*' && want[i] !== have[i]) return false;
  }
  return have.length === want.length;
}

export function subscribesTo(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => patternMatches(p, type));
}
