import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, keyIdOf, parseEncryptionKeys } from '../../src/core/crypto/secretBox.ts';

describe('secret box', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('round-trips and never stores the plaintext', () => {
    const box = createSecretBox([newKey]);
    const sealed = box.seal('whsec_topsecret');
    expect(sealed.ciphertext).not.toContain('topsecret');
    expect(Buffer.from(sealed.ciphertext, 'base64').toString('latin1')).not.toContain('topsecret');
    expect(sealed.keyId).toBe(keyIdOf(newKey));
    expect(box.open(sealed)).toBe('whsec_topsecret');
  });

  it('uses a fresh IV each time', () => {
    const box = createSecretBox([newKey]);
    expect(box.seal('x').ciphertext).not.toBe(box.seal('x').ciphertext);
  });

  it('opens rows sealed with an older key of the ring and seals with the newest', () => {
    const sealedOld = createSecretBox([oldKey]).seal('legacy');
    const ring = createSecretBox([newKey, oldKey]);
    expect(ring.open(sealedOld)).toBe('legacy');
    expect(ring.seal('fresh').keyId).toBe(keyIdOf(newKey));
  });

  it('rejects tampered ciphertext and unknown keys', () => {
    const box = createSecretBox([newKey]);
    const sealed = box.seal('value');
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => box.open({ ...sealed, ciphertext: raw.toString('base64') })).toThrow(/unable to authenticate/);
    expect(() => createSecretBox([oldKey]).open(sealed)).toThrow(/No encryption key/);
  });

  it('parses comma-separated base64 keys of 32 bytes only', () => {
    expect(parseEncryptionKeys(`${newKey.toString('base64')}, ${oldKey.toString('base64')}`)).toHaveLength(2);
    expect(() => parseEncryptionKeys(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });
});
