// GraphQL documents the tests share, written as a client would.

export const CREATE_WEBHOOK = /* GraphQL */ `
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      secret
      webhook { id url events active headers timeoutSeconds secretHint name description }
    }
  }
`;

export const PUBLISH_EVENT = /* GraphQL */ `
  mutation Publish($input: PublishEventInput!) {
    publishEvent(input: $input) { deliveryCount event { id type data timestamp } }
  }
`;

export const DELIVERIES = /* GraphQL */ `
  query Deliveries($webhookId: ID, $eventId: ID, $status: DeliveryStatus, $projectId: ID) {
    deliveries(webhookId: $webhookId, eventId: $eventId, status: $status, projectId: $projectId, first: 100) {
      edges {
        cursor
        node {
          id status attemptCount nextAttemptAt
          event { id type }
          webhook { id }
          attempts(first: 50) {
            edges { node { id attemptNumber url requestHeaders responseStatus responseHeaders responseBody durationMs error succeeded createdAt } }
          }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
