import { z } from 'zod';
import { parseEnvelope, reservedHeaderNames } from '../../core/delivery/request.ts';
import { defaultProjectSettings, type ProjectSettings, resolveProjectSettings, type StoredProjectSettings } from '../../core/delivery/projectSettings.ts';
import { retryPolicySchema } from '../../core/delivery/retryPolicy.ts';
import type { Config } from '../../core/config.ts';

/** The branded signature's format as GraphQL names it, and as the projects table stores it. */
export const SIGNATURE_FORMATS = { HEX: 'hex', SHA256_HEX: 'sha256=hex' } as const;
export type SignatureFormatName = keyof typeof SIGNATURE_FORMATS;

export const nameOfFormat = (format: string): SignatureFormatName => (format === 'hex' ? 'HEX' : 'SHA256_HEX');

export const retryPolicyInput = z
  .record(z.string(), z.unknown())
  // GraphQL sends every field of the input object; absent ones arrive as null.
  .transform((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)))
  .pipe(retryPolicySchema);

/** A project's delivery settings as createProject and updateProject take them; each one left out stays. */
export const projectSettingsInput = z.object({
  headerPrefix: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,40}$/, 'a header name prefix such as X-Acme: a letter, then letters, digits and hyphens')
    .nullish(),
  signatureFormat: z.enum(['HEX', 'SHA256_HEX']).nullish(),
  envelope: z
    .string()
    .max(500)
    .superRefine((spec, ctx) => {
      try {
        parseEnvelope(spec);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .nullish(),
  userAgent: z
    .string()
    .min(1)
    .max(200)
    .refine((s) => !/[\r\n\0]/.test(s), 'one line')
    .nullish(),
  retryPolicy: retryPolicyInput.nullish(),
  disableAfterFailures: z.number().int().min(1).max(10_000).nullish(),
});
export type ProjectSettingsInput = z.infer<typeof projectSettingsInput>;

/** The columns to write for these settings: the given ones, on top of `base` (a new project's defaults or nothing). */
export function settingsColumns(input: ProjectSettingsInput | null | undefined, base: Partial<StoredProjectSettings> = {}) {
  const columns: Record<string, unknown> = { ...base };
  if (!input) return columns;
  if (input.headerPrefix != null) columns.headerPrefix = input.headerPrefix;
  if (input.signatureFormat != null) columns.signatureFormat = SIGNATURE_FORMATS[input.signatureFormat];
  if (input.envelope != null) columns.envelope = input.envelope;
  if (input.userAgent != null) columns.userAgent = input.userAgent;
  if (input.retryPolicy != null) columns.retryPolicy = input.retryPolicy;
  if (input.disableAfterFailures != null) columns.disableAfterFailures = input.disableAfterFailures;
  return columns;
}

/** A project row's settings, each one it lacks the deployment's. */
export function settingsOf(config: Config, row: StoredProjectSettings | { [K in keyof StoredProjectSettings]: unknown }): ProjectSettings {
  return resolveProjectSettings(row as StoredProjectSettings, defaultProjectSettings(config.delivery));
}

/** Header names a webhook of this project may not set: the project's own branded ones and the HTTP client's. */
export function reservedFor(config: Config, headerPrefix: string | null | undefined): Set<string> {
  return reservedHeaderNames(headerPrefix ?? config.delivery.headerPrefix);
}
