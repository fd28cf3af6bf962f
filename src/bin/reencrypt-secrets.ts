// `npm run secrets:reencrypt`: re-seal every webhook secret with the first key of HOOKPOST_ENCRYPTION_KEY.
import { loadConfig } from '../core/config.ts';
import { reencryptSecrets } from '../core/crypto/reencrypt.ts';
import { resolveEncryptionKeys } from '../core/crypto/encryptionKeys.ts';
import { createSecretBox, keyIdOf } from '../core/crypto/secretBox.ts';
import { createDb } from '../core/db/client.ts';
import { run } from '../core/lifecycle.ts';

run(async () => {
  const config = loadConfig();
  const keys = await resolveEncryptionKeys(config);
  const db = createDb(config.databaseUrl, 2);
  const count = await reencryptSecrets(db, createSecretBox(keys), keyIdOf(keys[0]));
  await db.$disconnect();
  process.stdout.write(`re-encrypted ${count} webhook secret(s) with key ${keyIdOf(keys[0])}\n`);
});
