import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { parseFrameAncestors } from '../../src/core/frameAncestors.ts';

describe('HOOKPOST_PORTAL_FRAME_ANCESTORS', () => {
  it("defaults to 'none': the portal is embedded nowhere until origins are named", () => {
    expect(loadConfig({}).portal.frameAncestors).toBe("'none'");
  });

  it.each([
    ['https://app.regpilot.com', 'https://app.regpilot.com'],
    ["'self' https://app.regpilot.com/, https://*.regpilot.com:8443", "'self' https://app.regpilot.com https://*.regpilot.com:8443"],
    ['self', "'self'"],
    ["'none'", "'none'"],
  ])('%s → %s', (value, header) => {
    expect(parseFrameAncestors(value)).toBe(header);
    expect(loadConfig({ HOOKPOST_PORTAL_FRAME_ANCESTORS: value }).portal.frameAncestors).toBe(header);
  });

  it.each([
    "https://a.example; script-src 'unsafe-inline'",
    '*',
    'javascript:alert(1)',
    "'none' https://a.example",
    'https://a.example/path',
    "'unsafe-inline'",
  ])('refuses %s', (value) => {
    expect(() => loadConfig({ HOOKPOST_PORTAL_FRAME_ANCESTORS: value })).toThrow(/HOOKPOST_PORTAL_FRAME_ANCESTORS/);
  });
});
