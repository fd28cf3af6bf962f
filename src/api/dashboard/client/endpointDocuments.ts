// The GraphQL of endpoint management: the catalog, one endpoint's settings, and the mutations.

export interface EventTypeEntry {
  name: string;
  description: string | null;
  example: unknown;
}

/** What the form edits, as the API returns it. */
export interface WebhookSettings {
  id: string;
  name: string | null;
  url: string;
  description: string | null;
  events: string[];
  filter: unknown;
  headers: Record<string, string>;
  ordered: boolean;
  retryPolicy: { schedule?: number[]; maxAttempts?: number; initialDelaySeconds?: number } | null;
  retrySchedule: number[];
  tenantId: string | null;
}

/** What the form sends: createWebhook's input, or the changed part of updateWebhook's. */
export interface WebhookInput {
  url?: string;
  name?: string | null;
  description?: string | null;
  events?: string[];
  filter?: unknown;
  headers?: Record<string, string>;
  ordered?: boolean;
  retryPolicy?: { schedule: number[] } | null;
}

export const EVENT_TYPES = /* GraphQL */ `query DashboardEventTypes { eventTypes(first: 100) { edges { node { id name description example } } } }`;

export const WEBHOOK_SETTINGS = /* GraphQL */ `query DashboardWebhookSettings($id: ID!) {
  webhook(id: $id) { id name url description events filter headers ordered retryPolicy retrySchedule tenantId }
}`;

export const CREATE_WEBHOOK = /* GraphQL */ `mutation DashboardCreateWebhook($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url name } }
}`;

export const UPDATE_WEBHOOK = /* GraphQL */ `mutation DashboardUpdateWebhook($input: UpdateWebhookInput!) {
  updateWebhook(input: $input) { webhook { id url name active disabledReason } }
}`;

export const DELETE_WEBHOOK = /* GraphQL */ `mutation DashboardDeleteWebhook($id: ID!) { deleteWebhook(input: { id: $id }) { deletedWebhookId } }`;

export const TEST_FILTER = /* GraphQL */ `mutation DashboardTestWebhookFilter($input: TestWebhookFilterInput!) { testWebhookFilter(input: $input) { matches } }`;

export const SEND_TEST = /* GraphQL */ `mutation DashboardSendTestEvent($webhookId: ID!, $eventType: String) {
  sendTestEvent(input: { webhookId: $webhookId, eventType: $eventType }) { delivery { id } }
}`;

export const FINISH_ROTATION = /* GraphQL */ `mutation DashboardFinishSecretRotation($id: ID!) {
  finishWebhookSecretRotation(input: { id: $id }) { webhook { id secretHint previousSecretExpiresAt } }
}`;
