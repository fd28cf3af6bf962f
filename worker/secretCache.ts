import type { SecretBox } from '../src/core/crypto/secretBox.ts';
import { openSealedHeaders } from '../src/core/crypto/sensitiveHeaders.ts';

/**
 * Remembers what a ciphertext opens to: a new or rotated secret, or changed headers, have a new
 * ciphertext (every seal draws a fresh IV), so nothing goes stale.
 */
function memoByCiphertext<T>(open: (ciphertext: string, keyId: string) => T, maxEntries: number) {
  const cache = new Map<string, T>();
  return (ciphertext: string, keyId: string): T => {
    let plain = cache.get(ciphertext);
    if (plain === undefined) {
      plain = open(ciphertext, keyId);
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(ciphertext, plain);
    }
    return plain;
  };
}

/** Decrypting the same webhook secret for every delivery is wasted work: each is opened once. */
export function createSecretCache(box: SecretBox, maxEntries = 10_000) {
  return memoByCiphertext((ciphertext, keyId) => box.open({ ciphertext, keyId }), maxEntries);
}

/** A webhook's sealed headers, opened and parsed once (frozen: every delivery shares the object). */
export function createSealedHeadersCache(box: SecretBox, maxEntries = 10_000) {
  return memoByCiphertext((ciphertext, keyId) => Object.freeze(openSealedHeaders(box, ciphertext, keyId)), maxEntries);
}
