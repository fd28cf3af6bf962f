// The GraphQL the dashboard sends: named operations, so they read well in /metrics.

export type StatsWindow = 'LAST_HOUR' | 'LAST_DAY' | 'LAST_WEEK';

export interface Stats {
  total: number;
  succeeded: number;
  failed: number;
  successRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
}

export interface Webhook {
  id: string;
  name: string | null;
  description: string | null;
  tenantId: string | null;
  url: string;
  events: string[];
  active: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  secretHint: string;
  previousSecretExpiresAt: string | null;
  circuit: { state: 'CLOSED' | 'OPEN' | 'HALF_OPEN'; nextProbeAt: string | null };
  stats: Stats;
}

/** When an open delivery goes next, or what holds it past that time. */
export interface DeliveryTiming {
  nextAttemptAt: string | null;
  heldBy: 'WEBHOOK_DISABLED' | 'CIRCUIT_OPEN' | null;
  heldUntil: string | null;
}

export interface AttemptRow {
  id: string;
  attemptNumber: number;
  responseStatus: number | null;
  succeeded: boolean;
  durationMs: number;
  error: string | null;
  createdAt: string;
  delivery: { id: string; status: string; event: { id: string; type: string }; webhook: { id: string; url: string; name: string | null } };
}

export interface AttemptDetail extends AttemptRow {
  url: string;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string | string[]> | null;
  responseBody: string | null;
  delivery: AttemptRow['delivery'] &
    DeliveryTiming & {
      attemptCount: number;
      event: AttemptRow['delivery']['event'] & { data: unknown; dataPurgedAt: string | null };
    };
}

export interface DeadLetter {
  id: string;
  createdAt: string;
  attemptCount: number;
  event: { type: string };
  webhook: { id: string; url: string; name: string | null };
  attempts: { edges: { node: { id: string; responseStatus: number | null; error: string | null } }[] };
}

const STATS = 'total succeeded failed successRate p50LatencyMs p95LatencyMs lastSuccessAt lastFailureAt';

export const VIEWER = /* GraphQL */ `query DashboardViewer { viewer { scope project { id name } } }`;

export const PORTAL_VIEWER = /* GraphQL */ `query PortalViewer { viewer { scope tenantId expiresAt project { id name } } }`;

const WEBHOOK = `id name description tenantId url events active disabledReason consecutiveFailures circuit { state nextProbeAt } secretHint previousSecretExpiresAt stats(window: $window) { ${STATS} }`;

export const OVERVIEW = /* GraphQL */ `query DashboardOverview($window: StatsWindow!) {
  viewer { project { id name stats(window: $window) { ${STATS} backlog } } }
  webhooks(first: 100) { edges { node { ${WEBHOOK} } } }
}`;

export const ROTATE_SECRET = /* GraphQL */ `mutation DashboardRotateSecret($id: ID!) {
  rotateWebhookSecret(input: { id: $id }) { secret webhook { id secretHint previousSecretExpiresAt } }
}`;

const ATTEMPT_ROW = 'id attemptNumber responseStatus succeeded durationMs error createdAt delivery { id status event { id type } webhook { id url name } }';

export const FEED = /* GraphQL */ `query DashboardFeed { attempts(first: 30) { edges { node { ${ATTEMPT_ROW} } } } }`;

export const LIVE_ATTEMPTS = /* GraphQL */ `subscription DashboardLiveAttempts { deliveryAttemptCreated { ${ATTEMPT_ROW} } }`;

export const WEBHOOK_STATUS = /* GraphQL */ `subscription DashboardWebhookStatus { webhookStatusChanged { id active } }`;

export const ATTEMPT = /* GraphQL */ `query DashboardAttempt($id: ID!) {
  node(id: $id) {
    ... on DeliveryAttempt {
      id attemptNumber responseStatus succeeded durationMs error createdAt
      delivery { id status attemptCount nextAttemptAt heldBy heldUntil event { id type data dataPurgedAt } webhook { id url name } }
      url requestHeaders responseHeaders responseBody
    }
  }
}`;

export const DEAD_LETTERS = /* GraphQL */ `query DashboardDeadLetters {
  deliveries(status: FAILED, first: 25) {
    totalCount
    edges { node { id createdAt attemptCount event { type } webhook { id url name } attempts(first: 1) { edges { node { id responseStatus error } } } } }
  }
}`;

export const RETRY = /* GraphQL */ `mutation DashboardRetryDelivery($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id status nextAttemptAt heldBy heldUntil } } }`;

export const RECOVER = /* GraphQL */ `mutation DashboardRecover($webhookId: ID!, $since: DateTime!, $until: DateTime) {
  recoverFailedDeliveries(input: { webhookId: $webhookId, since: $since, until: $until }) { count }
}`;
