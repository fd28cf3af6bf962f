import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface Sealed {
  ciphertext: string;
  keyId: string;
}

export interface SecretBox {
  seal(plaintext: string): Sealed;
  open(sealed: Sealed): string;
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** Parses `HOOKPOST_ENCRYPTION_KEY`: one or more comma-separated base64 keys of 32 bytes, newest first. */
export function parseEncryptionKeys(value: string): Buffer[] {
  const keys = value.split(',').map((part) => Buffer.from(part.trim(), 'base64'));
  if (keys.length === 0 || keys.some((k) => k.length !== 32)) {
    throw new Error('HOOKPOST_ENCRYPTION_KEY must hold base64 keys of exactly 32 bytes (openssl rand -base64 32)');
  }
  return keys;
}

/**
 * AES-256-GCM with a key ring: seals with the first key, opens with whichever key id the row names,
 * so old rows stay readable until they are re-encrypted with the new key.
 */
export function createSecretBox(keys: Buffer[]): SecretBox {
  const ring = new Map(keys.map((k) => [keyIdOf(k), k]));
  const current = keys[0];
  const currentId = keyIdOf(current);
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return { ciphertext: Buffer.concat([iv, tag, body]).toString('base64'), keyId: currentId };
    },
    open({ ciphertext, keyId }) {
      const key = ring.get(keyId);
      if (!key) throw new Error(`No encryption key with id ${keyId} is configured`);
      const raw = Buffer.from(ciphertext, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
