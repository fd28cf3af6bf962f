import { z } from 'zod';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { Viewer } from '../auth/apiKeys.ts';
import { requireApiKey, targetProjectId } from '../auth/access.ts';
import type { ApiDeps } from '../deps.ts';
import { badInput, clientError, notFound } from '../errors.ts';
import type { NewEvent, WriteResult } from './eventWriter.ts';
import { exampleOf } from './eventTypes.ts';
import { eventData, eventType, parseInput } from './validation.ts';
import { loadWebhook } from './webhooks.ts';
import { parseRouting, type Routing } from './tenants.ts';

export interface PublishEventInput extends Routing {
  projectId?: string | null;
  type: string;
  data?: unknown;
  idempotencyKey?: string | null;
}

const eventSchema = z.object({ type: eventType, data: eventData, idempotencyKey: z.string().min(1).max(255).nullish() });
export const MAX_EVENTS_PER_CALL = 1000;

function toNewEvent(projectId: string, routing: ReturnType<typeof parseRouting>, parsed: z.infer<typeof eventSchema>): NewEvent {
  return { projectId, ...routing, type: parsed.type, data: parsed.data.value, dataJson: parsed.data.json, idempotencyKey: parsed.idempotencyKey ?? null };
}

/** Refuses the call, writing nothing, when the project's catalog refuses one of its events. */
async function checkCatalog(deps: ApiDeps, projectId: string, events: NewEvent[], inCall: boolean) {
  const refusal = await deps.eventCatalog.refusal(projectId, events);
  if (!refusal) return;
  // publishEvents names the event (`events.3`), as its other refusals do.
  const field = inCall ? `events.${refusal.index}` : refusal.field;
  throw clientError('BAD_USER_INPUT', `${inCall ? `${field}.` : ''}${refusal.field}: ${refusal.message}`, {
    field,
    ...(refusal.validationErrors ? { validationErrors: refusal.validationErrors } : {}),
  });
}

function unwrap(result: WriteResult) {
  if ('missingProject' in result) throw notFound('project', result.missingProject);
  return result;
}

/**
 * Commits the event and one delivery per active subscribed webhook, due at once, before the workers
 * are woken: Postgres is the schedule, so a Redis outage can delay a delivery (until a worker's
 * sweep finds it) but never lose it.
 */
export async function publishEvent(deps: ApiDeps, viewer: Viewer | null, input: PublishEventInput) {
  const projectId = targetProjectId(requireApiKey(viewer), input.projectId);
  const event = toNewEvent(projectId, parseRouting(input), parseInput(eventSchema, input));
  await checkCatalog(deps, projectId, [event], false);
  const [result] = await deps.eventWriter.write([event]);
  return unwrap(result);
}

/**
 * Up to 1,000 events in one call, for backends that publish in bursts. Every event is validated
 * first (a bad one refuses the call, naming its index, and nothing is written); then all of them are
 * written in one statement, each with its own optional idempotency key.
 */
export async function publishEvents(deps: ApiDeps, viewer: Viewer | null, input: Routing & { projectId?: string | null; events: PublishEventInput[] }) {
  const projectId = targetProjectId(requireApiKey(viewer), input.projectId);
  if (input.events.length === 0) throw badInput('events: publish at least one event', 'events');
  if (input.events.length > MAX_EVENTS_PER_CALL) throw badInput(`events: at most ${MAX_EVENTS_PER_CALL} per call`, 'events');
  const callRouting = parseRouting(input);
  const events = input.events.map((e, i) => {
    if (e.projectId && e.projectId !== projectId) throw badInput(`events.${i}.projectId: give projectId once, for the call`, `events.${i}.projectId`);
    // An event's own tenantId or broadcast wins over the call's, so one call may serve many tenants.
    const own = e.tenantId != null || e.broadcast != null;
    const routing = own ? parseRouting(e, `events.${i}.`) : callRouting;
    try {
      return toNewEvent(projectId, routing, parseInput(eventSchema, e));
    } catch (err) {
      throw badInput(`events.${i}.${(err as Error).message}`, `events.${i}`);
    }
  });
  await checkCatalog(deps, projectId, events, true);
  const results = (await deps.eventWriter.write(events)).map(unwrap);
  return { results, deliveryCount: results.reduce((n, r) => n + (r.replayed ? 0 : r.deliveryCount), 0) };
}

export interface SendTestEventInput {
  webhookId: string;
  eventType?: string | null;
  data?: unknown;
}

export const TEST_EVENT_TYPE = 'webhook.test';

/**
 * A real event, signed and logged like any other, sent to one webhook only; its data says `test: true`.
 * Without data it carries the type's catalogued example, if there is one.
 */
export async function sendTestEvent(deps: CoreDeps, viewer: Viewer | null, input: SendTestEventInput) {
  const webhook = await loadWebhook(deps, viewer, input.webhookId);
  if (!webhook.active) throw clientError('CONFLICT', `Webhook ${webhook.id} is disabled; enable it to send a test event`);
  const parsed = parseInput(z.object({ eventType: eventType.nullish(), data: eventData.nullish() }), { eventType: input.eventType, data: input.data });
  const type = parsed.eventType ?? TEST_EVENT_TYPE;
  const sample = parsed.data?.value ?? (await exampleOf(deps.db, webhook.projectId, type)) ?? { message: `A test ${type} event from Hookpost` };
  const data = { ...sample, test: true };
  const delivery = await deps.db.$transaction(async (tx) => {
    // A tenant's webhook gets a test event of its tenant, so the tenant sees it in its own log.
    const event = await tx.event.create({
      data: { id: newId('Event'), projectId: webhook.projectId, tenantId: webhook.tenantId, type, data },
    });
    return tx.delivery.create({
      data: {
        id: newId('Delivery'),
        projectId: webhook.projectId,
        tenantId: webhook.tenantId,
        eventId: event.id,
        webhookId: webhook.id,
        nextAttemptAt: event.timestamp,
      },
    });
  });
  // The workers are told at once (a test button wants an answer); if Redis is away their sweep finds it.
  await deps.queue
    .wake({ webhookIds: [webhook.id], lines: [] })
    .catch((err) => deps.logger.warn({ err, deliveryId: delivery.id }, 'could not wake the workers; their sweep finds the delivery'));
  return delivery;
}
