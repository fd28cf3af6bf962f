import type { SecretBox } from '../src/core/crypto/secretBox.ts';

/**
 * Decrypting the same webhook secret for every delivery is wasted work: remember plaintexts by
 * ciphertext (a new or rotated secret has a new ciphertext, so nothing goes stale).
 */
export function createSecretCache(box: SecretBox, maxEntries = 10_000) {
  const cache = new Map<string, string>();
  return (ciphertext: string, keyId: string): string => {
    let plain = cache.get(ciphertext);
    if (plain === undefined) {
      plain = box.open({ ciphertext, keyId });
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(ciphertext, plain);
    }
    return plain;
  };
}
