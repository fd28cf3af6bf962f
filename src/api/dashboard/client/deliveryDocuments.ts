// The GraphQL of the delivery log: a filtered, cursor-paged `deliveries(…)`, and one delivery with its attempts.
import type { AttemptRow, DeliveryTiming } from './documents.ts';

export type DeliveryStatus = 'PENDING' | 'RETRYING' | 'SUCCEEDED' | 'FAILED';

export interface LogDelivery extends DeliveryTiming {
  id: string;
  status: DeliveryStatus;
  attemptCount: number;
  createdAt: string;
  event: { id: string; type: string };
  webhook: { id: string; url: string; name: string | null };
  /** The latest attempt only (attempts are newest first): its answer is the row's badge. */
  attempts: { edges: { node: { id: string; responseStatus: number | null; succeeded: boolean } }[] };
}

/** An attempt as the delivery view lists it: the attempt dialog's row, without its delivery. */
export type LogAttempt = Omit<AttemptRow, 'delivery'>;

export interface DeliveryDetail extends Omit<LogDelivery, 'attempts'> {
  tenantId: string | null;
  updatedAt: string;
  attempts: { totalCount: number; edges: { node: LogAttempt }[] };
}

/** The arguments of `deliveries(…)` the log's filters set; unset ones are sent as null, which the API ignores. */
export interface LogFilter {
  webhookId: string | null;
  status: DeliveryStatus | null;
  eventType: string | null;
  eventId: string | null;
  since: string | null;
  until: string | null;
}

export interface DeliveryPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: LogDelivery }[];
}

const ROW =
  'id status attemptCount nextAttemptAt heldBy heldUntil createdAt event { id type } webhook { id url name } attempts(first: 1) { edges { node { id responseStatus succeeded } } }';

export const DELIVERY_LOG = /* GraphQL */ `query DashboardDeliveryLog(
  $first: Int!, $after: String, $webhookId: ID, $status: DeliveryStatus, $eventType: String, $eventId: ID, $since: DateTime, $until: DateTime
) {
  deliveries(first: $first, after: $after, webhookId: $webhookId, status: $status, eventType: $eventType, eventId: $eventId, since: $since, until: $until) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ${ROW} } }
  }
}`;

/** The most attempts the delivery view lists; the API pages at most 100 at a time. */
export const ATTEMPTS_SHOWN = 100;

export const DELIVERY_DETAIL = /* GraphQL */ `query DashboardDelivery($id: ID!) {
  delivery(id: $id) {
    id status attemptCount nextAttemptAt heldBy heldUntil createdAt updatedAt tenantId
    event { id type } webhook { id url name }
    attempts(first: ${ATTEMPTS_SHOWN}) { totalCount edges { node { id attemptNumber responseStatus succeeded durationMs error createdAt } } }
  }
}`;

/** One delivery as a log row, for a search by its id. */
export const DELIVERY_ROW = /* GraphQL */ `query DashboardDeliveryRow($id: ID!) { delivery(id: $id) { ${ROW} } }`;
