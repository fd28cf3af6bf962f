import { z } from 'zod';
import type { Viewer } from '../auth/apiKeys.ts';
import { ownerOf } from '../auth/access.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { generateWebhookSecret } from '../../core/delivery/signing.ts';
import { notFound } from '../errors.ts';
import { reservedFor, retryPolicyInput } from './projectSettings.ts';
import { Prisma } from '../../generated/prisma/client.ts';
import { announceStatus, resumeWebhook } from '../../core/webhookStatus.ts';
import { setOrdered } from './linePublish.ts';
import { newId } from '../../core/ids.ts';
import { visibleOrNotFound } from './access.ts';
import { headerColumns, sensitiveHeaderNames } from './webhookHeaders.ts';
import { parseTenantId } from './tenants.ts';
import { filterInput } from '../filters/webhookFilter.ts';
import { checkSubscriptions } from './eventTypes.ts';
import {
  customHeaders,
  DEFAULT_MAX_CONCURRENCY,
  maxConcurrency,
  rateLimitPerSecond,
  eventPatterns,
  parseInput,
  timeoutSeconds,
  webhookSecret,
  webhookUrl,
} from './validation.ts';

function webhookFields(deps: CoreDeps, headerPrefix: string | null) {
  return {
    retryPolicy: retryPolicyInput.nullish(),
    url: webhookUrl(deps.config.security.allowHttp),
    events: eventPatterns,
    name: z.string().trim().max(200).nullish(),
    description: z.string().max(2000).nullish(),
    active: z.boolean().nullish(),
    headers: customHeaders(reservedFor(deps.config, headerPrefix)).nullish(),
    sensitiveHeaders: sensitiveHeaderNames.nullish(),
    timeoutSeconds: timeoutSeconds.nullish(),
    maxConcurrency: maxConcurrency.nullish(),
    rateLimitPerSecond: rateLimitPerSecond.nullish(),
    filter: filterInput.nullish(),
    ordered: z.boolean().nullish(),
  };
}

/** What createWebhook and updateWebhook both set. */
interface WebhookSettings {
  name?: string | null;
  description?: string | null;
  active?: boolean | null;
  headers?: unknown;
  sensitiveHeaders?: string[] | null;
  timeoutSeconds?: number | null;
  maxConcurrency?: number | null;
  rateLimitPerSecond?: number | null;
  ordered?: boolean | null;
  retryPolicy?: Record<string, unknown> | null;
  filter?: unknown;
}

export interface CreateWebhookInput extends WebhookSettings {
  projectId?: string | null;
  tenantId?: string | null;
  url: string;
  events: string[];
  secret?: string | null;
}

export interface UpdateWebhookInput extends WebhookSettings {
  id: string;
  url?: string | null;
  events?: string[] | null;
}

export function secretColumns(deps: CoreDeps, secret: string) {
  const sealed = deps.secretBox.seal(secret);
  return { secretCiphertext: sealed.ciphertext, secretKeyId: sealed.keyId, secretHint: secret.slice(-4) };
}

export async function loadWebhook(deps: CoreDeps, viewer: Viewer | null, id: string) {
  return visibleOrNotFound(viewer, 'webhook', id, await deps.db.webhook.findUnique({ where: { id } }));
}

export async function createWebhook(deps: CoreDeps, viewer: Viewer | null, input: CreateWebhookInput) {
  // A tenant token's webhooks are its tenant's, whatever it asks.
  const { projectId, tenantId } = ownerOf(viewer, { projectId: input.projectId, tenantId: parseTenantId(input.tenantId) });
  const project = await deps.db.project.findUnique({ where: { id: projectId }, select: { id: true, headerPrefix: true } });
  if (!project) throw notFound('project', projectId);
  const fields = parseInput(z.object({ ...webhookFields(deps, project.headerPrefix), secret: webhookSecret.nullish() }), input);
  await checkSubscriptions(deps.db, projectId, fields.events);
  const secret = fields.secret ?? generateWebhookSecret();
  const webhook = await deps.db.webhook.create({
    data: {
      id: newId('Webhook'),
      projectId,
      tenantId,
      url: fields.url,
      events: fields.events,
      name: fields.name ?? null,
      description: fields.description ?? null,
      active: fields.active ?? true,
      sensitiveHeaders: fields.sensitiveHeaders ?? [],
      ...headerColumns(deps, fields.headers ?? {}, fields.sensitiveHeaders ?? []),
      timeoutSeconds: fields.timeoutSeconds ?? 30,
      maxConcurrency: fields.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
      rateLimitPerSecond: fields.rateLimitPerSecond ?? null,
      ordered: fields.ordered ?? false,
      retryPolicy: fields.retryPolicy ?? Prisma.DbNull,
      filter: fields.filter ?? Prisma.DbNull,
      ...secretColumns(deps, secret),
    },
  });
  return { webhook, secret };
}

const CLOSED_CIRCUIT = {
  circuitState: 'CLOSED',
  circuitOpenedAt: null,
  circuitNextProbeAt: null,
  circuitCooldownSeconds: null,
  circuitProbeDeliveryId: null,
} as const;

export async function updateWebhook(deps: CoreDeps, viewer: Viewer | null, input: UpdateWebhookInput) {
  const existing = await loadWebhook(deps, viewer, input.id);
  const project = await deps.db.project.findUniqueOrThrow({ where: { id: existing.projectId }, select: { headerPrefix: true } });
  const fields = parseInput(z.object(webhookFields(deps, project.headerPrefix)).partial(), input);
  if (fields.events != null) await checkSubscriptions(deps.db, existing.projectId, fields.events);
  const data: Prisma.WebhookUpdateInput = {};
  if (fields.url != null) data.url = fields.url;
  if (fields.events != null) data.events = fields.events;
  if (fields.name !== undefined) data.name = fields.name;
  if (fields.description !== undefined) data.description = fields.description;
  if (fields.headers != null || fields.sensitiveHeaders != null) {
    const listed = fields.sensitiveHeaders ?? existing.sensitiveHeaders;
    const current = { ...existing, headers: existing.headers as Record<string, string> };
    Object.assign(data, { sensitiveHeaders: listed, ...headerColumns(deps, fields.headers, listed, current) });
  }
  if (fields.timeoutSeconds != null) data.timeoutSeconds = fields.timeoutSeconds;
  if (fields.maxConcurrency != null) data.maxConcurrency = fields.maxConcurrency;
  // null lifts the limit; left out, it stays.
  if (fields.rateLimitPerSecond !== undefined) data.rateLimitPerSecond = fields.rateLimitPerSecond;
  const reordering = fields.ordered != null && fields.ordered !== existing.ordered;
  if (fields.retryPolicy !== undefined) data.retryPolicy = fields.retryPolicy ?? Prisma.DbNull;
  if (fields.filter !== undefined) data.filter = fields.filter ?? Prisma.DbNull;
  const turningOff = fields.active === false && existing.active;
  const turningOn = fields.active === true && !existing.active;
  if (turningOff) Object.assign(data, { active: false, disabledAt: new Date(), disabledReason: 'Disabled through the API' });
  // Switched back on: the failure streak and the circuit are forgotten and held deliveries are sent.
  if (turningOn) Object.assign(data, { active: true, consecutiveFailures: 0, disabledReason: null, disabledAt: null, ...CLOSED_CIRCUIT });
  let webhook = await deps.db.webhook.update({ where: { id: existing.id }, data });
  if (reordering) {
    await setOrdered(deps.sql, webhook.id, fields.ordered!);
    webhook = { ...webhook, ordered: fields.ordered! };
  }
  if (turningOff) announceStatus(deps.broadcaster, webhook, false);
  // On again, or its deliveries moved into or out of a line: the workers look at it now.
  if (turningOn || (reordering && webhook.active)) await resumeWebhook(deps, webhook, turningOn);
  return webhook;
}

export async function deleteWebhook(deps: CoreDeps, viewer: Viewer | null, id: string) {
  const existing = await loadWebhook(deps, viewer, id);
  await deps.db.webhook.delete({ where: { id: existing.id } });
  return existing.id;
}

export const DEFAULT_GRACE_SECONDS = 24 * 3600;

const rotateSchema = z.object({
  secret: webhookSecret.nullish(),
  gracePeriodSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .nullish(),
});

/**
 * A new signing secret. During the grace period the standard `webhook-signature` header carries
 * signatures by both secrets, and the branded one (a single HMAC) stays signed by the old secret, the
 * one a receiver checking a single secret has; `finishWebhookSecretRotation`, or the end of the
 * grace period, moves the branded header to the new secret. Rotating again during a grace period
 * ends the earlier rotation's old secret.
 */
export async function rotateWebhookSecret(
  deps: CoreDeps,
  viewer: Viewer | null,
  input: { id: string; secret?: string | null; gracePeriodSeconds?: number | null },
) {
  const existing = await loadWebhook(deps, viewer, input.id);
  const { secret: given, gracePeriodSeconds } = parseInput(rotateSchema, input);
  const secret = given ?? generateWebhookSecret();
  const grace = gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  const webhook = await deps.db.webhook.update({
    where: { id: existing.id },
    data: {
      ...secretColumns(deps, secret),
      previousSecretCiphertext: grace > 0 ? existing.secretCiphertext : null,
      previousSecretKeyId: grace > 0 ? existing.secretKeyId : null,
      previousSecretExpiresAt: grace > 0 ? new Date(Date.now() + grace * 1000) : null,
    },
  });
  return { webhook, secret };
}

/**
 * Ends a rotation's grace period now: from the next attempt on, only the new secret signs (the
 * branded header included). A webhook that is not rotating is returned unchanged.
 */
export async function finishWebhookSecretRotation(deps: CoreDeps, viewer: Viewer | null, input: { id: string }) {
  const existing = await loadWebhook(deps, viewer, input.id);
  if (!existing.previousSecretCiphertext) return existing;
  return deps.db.webhook.update({
    where: { id: existing.id },
    data: { previousSecretCiphertext: null, previousSecretKeyId: null, previousSecretExpiresAt: null },
  });
}
