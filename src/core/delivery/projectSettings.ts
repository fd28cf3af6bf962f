import type { Config } from '../config.ts';
import { type EnvelopeFields, parseEnvelope } from './request.ts';
import type { RetryPolicy } from './retryPolicy.ts';
import type { BrandedFormat } from './signing.ts';

/**
 * How a project's deliveries look and behave: its brand (header prefix, branded signature format,
 * envelope, user agent), its default retry policy and its auto-disable threshold. Each project keeps
 * its own, so one Hookpost serves several products' webhook docs at once, and every attempt is built
 * from the settings its project has when it is sent.
 */
export interface ProjectSettings {
  headerPrefix: string;
  signatureFormat: BrandedFormat;
  envelope: EnvelopeFields;
  userAgent: string;
  /** For webhooks without a retry policy of their own. */
  retryPolicy: RetryPolicy;
  disableAfterFailures: number;
}

/** The settings as the projects table stores them (the envelope as its spec); null: not set. */
export interface StoredProjectSettings {
  headerPrefix: string | null;
  signatureFormat: string | null;
  envelope: string | null;
  userAgent: string | null;
  retryPolicy: RetryPolicy | null;
  disableAfterFailures: number | null;
}

/** An envelope as the spec `HOOKPOST_ENVELOPE` takes: "id,type,createdAt=timestamp,data". */
export function formatEnvelope(fields: EnvelopeFields): string {
  return fields.map(([name, source]) => (name === source ? name : `${name}=${source}`)).join(',');
}

/** What a new project starts with: the deployment's settings (the environment variables). */
export function defaultProjectSettings(delivery: Config['delivery']): ProjectSettings {
  return {
    headerPrefix: delivery.headerPrefix,
    signatureFormat: delivery.signatureFormat,
    envelope: delivery.envelope,
    userAgent: delivery.userAgent,
    retryPolicy: { schedule: delivery.retrySchedule },
    disableAfterFailures: delivery.disableAfterFailures,
  };
}

export function storedForm(s: ProjectSettings): { [K in keyof StoredProjectSettings]: NonNullable<StoredProjectSettings[K]> } {
  return { ...s, envelope: formatEnvelope(s.envelope) };
}

const parsedEnvelopes = new Map<string, EnvelopeFields>();

/**
 * A project's settings as stored, each one it lacks taken from `defaults` (a project written by
 * hand, or before its settings were adopted). Envelope specs are parsed once per process.
 */
export function resolveProjectSettings(stored: StoredProjectSettings, defaults: ProjectSettings): ProjectSettings {
  let envelope = defaults.envelope;
  if (stored.envelope !== null) {
    envelope = parsedEnvelopes.get(stored.envelope) ?? parseEnvelope(stored.envelope);
    if (parsedEnvelopes.size > 10_000) parsedEnvelopes.clear();
    parsedEnvelopes.set(stored.envelope, envelope);
  }
  return {
    headerPrefix: stored.headerPrefix ?? defaults.headerPrefix,
    signatureFormat: (stored.signatureFormat as BrandedFormat | null) ?? defaults.signatureFormat,
    envelope,
    userAgent: stored.userAgent ?? defaults.userAgent,
    retryPolicy: stored.retryPolicy ?? defaults.retryPolicy,
    disableAfterFailures: stored.disableAfterFailures ?? defaults.disableAfterFailures,
  };
}
