import { describe, expect, it } from 'vitest';
import { keyIdOf } from '../../src/core/crypto/secretBox.ts';
import { deriveTokenSigningKeys, parseTokenSigningKeys, tokenKeyRing } from '../../src/core/crypto/tokenKeys.ts';

describe('tenant token signing keys', () => {
  const a = Buffer.alloc(32, 1);
  const b = Buffer.alloc(32, 2);

  it('are derived per encryption key, differ from it, and are stable', () => {
    const derived = deriveTokenSigningKeys([a, b]);
    expect(derived).toHaveLength(2);
    expect(derived.map((k) => k.length)).toEqual([32, 32]);
    expect(derived[0].equals(a)).toBe(false);
    expect(derived[0].equals(derived[1])).toBe(false);
    expect(deriveTokenSigningKeys([a])[0].equals(derived[0])).toBe(true);
  });

  it('sign with the newest key and know every listed one by id', () => {
    const ring = tokenKeyRing(parseTokenSigningKeys(`${b.toString('base64')}, ${a.toString('base64')}`));
    expect(ring.current).toEqual({ id: keyIdOf(b), key: b });
    expect([...ring.byId.keys()]).toEqual([keyIdOf(b), keyIdOf(a)]);
    expect(() => parseTokenSigningKeys(Buffer.alloc(16).toString('base64'))).toThrow(/at least 32 bytes/);
  });
});
