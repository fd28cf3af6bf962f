-- Sensitive headers: values of a webhook's credential-bearing custom headers (Authorization, Cookie,
-- any name containing key, token, secret, password, auth or cookie, and the names a webhook lists)
-- are sealed with the encryption key like signing secrets. `headers` keeps every name, with a hint
-- (••••1234) in place of each sealed value; the sealed values are one AES-256-GCM ciphertext of a
-- JSON object, name to value. SQL has no key, so rows written before this migration keep their
-- plaintext until the API seals them on start (or `npm run secrets:reencrypt` does); the worker
-- sends those as they are meanwhile, so they keep working.

-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN "sensitive_headers" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "headers_ciphertext" TEXT,
ADD COLUMN "headers_key_id" TEXT;

-- Attempts logged before this migration copied every header value: redact the sensitive ones to the
-- same hint the service shows (at most the last 4 characters, and at most a quarter of the value).
UPDATE "delivery_attempts" AS a
   SET "request_headers" = (
     SELECT jsonb_object_agg(
              h.key,
              CASE WHEN h.key ~* '(key|token|secret|password|auth|cookie)' AND jsonb_typeof(h.value) = 'string'
                   THEN to_jsonb('••••' || right(h.value #>> '{}', least(4, length(h.value #>> '{}') / 4)))
                   ELSE h.value END)
       FROM jsonb_each(a."request_headers") AS h)
 WHERE jsonb_typeof(a."request_headers") = 'object'
   AND EXISTS (SELECT 1 FROM jsonb_object_keys(a."request_headers") AS k
                WHERE k ~* '(key|token|secret|password|auth|cookie)');
