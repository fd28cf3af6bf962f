// `npm run secrets:reencrypt`: re-seal every webhook secret and sensitive header value with the first
// key of HOOKPOST_ENCRYPTION_KEY, and seal header values still stored in the clear.
import { loadConfig } from '../core/config.ts';
import { reencryptSecrets } from '../core/crypto/reencrypt.ts';
import { resolveEncryptionKeys } from '../core/crypto/encryptionKeys.ts';
import { createSecretBox, keyIdOf } from '../core/crypto/secretBox.ts';
import { reencryptHeaders, sealPlaintextHeaders } from '../core/crypto/sealHeaderRows.ts';
import { createDb } from '../core/db/client.ts';
import { run } from '../core/lifecycle.ts';

run(async () => {
  const config = loadConfig();
  const keys = await resolveEncryptionKeys(config);
  const db = createDb(config.databaseUrl, 2);
  const box = createSecretBox(keys);
  const keyId = keyIdOf(keys[0]);
  const secrets = await reencryptSecrets(db, box, keyId);
  const headers = await reencryptHeaders(db, box, keyId);
  const plaintext = await sealPlaintextHeaders(db, box);
  await db.$disconnect();
  process.stdout.write(
    `re-encrypted ${secrets} webhook secret(s) and ${headers} webhook(s)' sensitive headers with key ${keyId}; ` +
      `sealed ${plaintext} webhook(s)' headers stored in the clear\n`,
  );
});
