import { createTenantToken, DEFAULT_TOKEN_SECONDS, MAX_TOKEN_SECONDS } from '../../services/tenantTokens.ts';
import { builder } from '../builder.ts';

builder.relayMutationField(
  'createTenantToken',
  {
    inputFields: (t) => ({
      projectId: t.id({ description: 'With an admin key: the project' }),
      tenantId: t.string({ required: true, description: 'The tenant (your customer) the token acts for' }),
      expiresInSeconds: t.int({ description: `Default ${DEFAULT_TOKEN_SECONDS}, at most ${MAX_TOKEN_SECONDS}` }),
    }),
  },
  {
    description:
      "A token for one tenant, to hand to your customer's browser: with it, one can manage that tenant's webhooks and read its deliveries, nothing else. Needs an API key; revoking that key ends the token.",
    resolve: (_root, { input }, ctx) => createTenantToken(ctx.deps, ctx.viewer, input),
  },
  {
    outputFields: (t) => ({
      token: t.string({ description: 'Send as `Authorization: Bearer <token>` or in graphql-ws connectionParams', resolve: (r) => r.token }),
      expiresAt: t.field({ type: 'DateTime', resolve: (r) => r.expiresAt }),
    }),
  },
);
