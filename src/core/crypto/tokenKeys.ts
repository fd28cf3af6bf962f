import { hkdfSync } from 'node:crypto';
import { keyIdOf } from './secretBox.ts';

const MIN_KEY_BYTES = 32;

/** Parses `HOOKPOST_TOKEN_SIGNING_KEY`: one or more comma-separated base64 keys of at least 32 bytes, newest first. */
export function parseTokenSigningKeys(value: string): Buffer[] {
  const keys = value.split(',').map((part) => Buffer.from(part.trim(), 'base64'));
  if (keys.length === 0 || keys.some((k) => k.length < MIN_KEY_BYTES)) {
    throw new Error('HOOKPOST_TOKEN_SIGNING_KEY must hold base64 keys of at least 32 bytes (openssl rand -base64 32)');
  }
  return keys;
}

/**
 * Without a signing key of its own, tokens are signed with keys derived from the encryption keys
 * (HKDF, so the encryption key itself never signs anything): tenant tokens work out of the box, and
 * rotating the encryption key rotates these too.
 */
export function deriveTokenSigningKeys(encryptionKeys: Buffer[]): Buffer[] {
  return encryptionKeys.map((k) => Buffer.from(hkdfSync('sha256', k, 'hookpost', 'hookpost tenant token signing', 32)));
}

export interface TokenKeyRing {
  /** The newest key: new tokens are signed with it. */
  current: { id: string; key: Buffer };
  /** Every configured key by its id (a token names the key that signed it). */
  byId: Map<string, Buffer>;
}

export function tokenKeyRing(keys: Buffer[]): TokenKeyRing {
  return { current: { id: keyIdOf(keys[0]), key: keys[0] }, byId: new Map(keys.map((k) => [keyIdOf(k), k])) };
}
