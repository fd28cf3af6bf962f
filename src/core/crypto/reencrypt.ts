import type { Db } from '../db/client.ts';
import type { SecretBox } from './secretBox.ts';

/**
 * After a new key is put first in HOOKPOST_ENCRYPTION_KEY (old ones after it), re-seals every webhook
 * secret still under an older key. When it returns, the old keys can be dropped from the variable.
 */
export async function reencryptSecrets(db: Db, box: SecretBox, currentKeyId: string): Promise<number> {
  const stale = await db.webhook.findMany({
    where: {
      OR: [{ secretKeyId: { not: currentKeyId } }, { previousSecretKeyId: { not: currentKeyId }, previousSecretCiphertext: { not: null } }],
    },
    select: { id: true, secretCiphertext: true, secretKeyId: true, previousSecretCiphertext: true, previousSecretKeyId: true },
  });
  for (const w of stale) {
    const current = box.seal(box.open({ ciphertext: w.secretCiphertext, keyId: w.secretKeyId }));
    const previous =
      w.previousSecretCiphertext && w.previousSecretKeyId ? box.seal(box.open({ ciphertext: w.previousSecretCiphertext, keyId: w.previousSecretKeyId })) : null;
    // Only if nobody rotated the secret meanwhile: the ciphertext we read is still the stored one.
    await db.webhook.updateMany({
      where: { id: w.id, secretCiphertext: w.secretCiphertext },
      data: {
        secretCiphertext: current.ciphertext,
        secretKeyId: current.keyId,
        ...(previous ? { previousSecretCiphertext: previous.ciphertext, previousSecretKeyId: previous.keyId } : {}),
      },
    });
  }
  return stale.length;
}
