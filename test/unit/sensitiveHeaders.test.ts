import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/core/crypto/secretBox.ts';
import { hintOf, isSensitiveHeader, openHeaders, redactHeaders, sealHeaders } from '../../src/core/crypto/sensitiveHeaders.ts';

describe('sensitive header names', () => {
  it.each([
    ['Authorization', true],
    ['proxy-authorization', true],
    ['Cookie', true],
    ['X-Api-Key', true],
    ['X-Auth-Token', true],
    ['X-Client-Secret', true],
    ['X-Password', true],
    ['X-Tenant', false],
    ['Accept-Language', false],
  ])('%s: %s', (name, sensitive) => {
    expect(isSensitiveHeader(name, [])).toBe(sensitive);
  });

  it('a listed name counts whatever its case', () => {
    expect(isSensitiveHeader('X-Tenant', ['x-tenant'])).toBe(true);
  });
});

describe('hints', () => {
  it.each([
    ['Bearer abcdefgh1234', '••••1234'],
    ['0123456789ab', '••••9ab'],
    ['12345678', '••••78'],
    ['abcd', '••••d'],
    ['abc', '••••'],
    ['', '••••'],
  ])('%j → %s', (value, hint) => {
    expect(hintOf(value)).toBe(hint);
  });
});

describe('sealing', () => {
  const box = createSecretBox([randomBytes(32)]);

  it('stores hints in the clear and the values sealed; opening gives the headers back', () => {
    const all = { Authorization: 'Bearer abcdefgh1234', 'X-Tenant': 'acme', 'X-Listed': 'listed-value' };
    const columns = sealHeaders(box, all, ['x-listed']);
    expect(columns.headers).toEqual({ Authorization: '••••1234', 'X-Tenant': 'acme', 'X-Listed': '••••lue' });
    expect(columns.headersCiphertext).not.toContain('abcdefgh');
    expect(openHeaders(box, columns)).toEqual(all);
  });

  it('no sensitive header: nothing sealed', () => {
    expect(sealHeaders(box, { 'X-Tenant': 'acme' }, [])).toEqual({ headers: { 'X-Tenant': 'acme' }, headersCiphertext: null, headersKeyId: null });
  });

  it('redacts plaintext sensitive values and leaves hints and the rest as they are', () => {
    const headers = { Authorization: 'Bearer abcdefgh1234', Cookie: '••••1234', 'X-Tenant': 'acme' };
    expect(redactHeaders(headers, [])).toEqual({ Authorization: '••••1234', Cookie: '••••1234', 'X-Tenant': 'acme' });
    const clean = { 'X-Tenant': 'acme' };
    expect(redactHeaders(clean, [])).toBe(clean);
  });
});
