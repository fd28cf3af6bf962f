import { scheduleOf } from '../../../core/delivery/retryPolicy.ts';
import { formatEnvelope } from '../../../core/delivery/projectSettings.ts';
import { nameOfFormat, type SignatureFormatName, settingsOf } from '../../services/projectSettings.ts';
import { builder } from '../builder.ts';
import { RetryPolicyInput } from './retryPolicyInput.ts';

export const SignatureFormatEnum = builder.enumType('SignatureFormat', {
  description: 'How the branded signature header (`<headerPrefix>-Signature`) carries the HMAC-SHA256 of the body',
  values: {
    HEX: { description: 'The bare lower-case hex digest' },
    SHA256_HEX: { description: '`sha256=<hex>`' },
  },
});

type StoredColumns = {
  headerPrefix: string | null;
  signatureFormat: string | null;
  envelope: string | null;
  userAgent: string | null;
  retryPolicy: unknown;
  disableAfterFailures: number | null;
};

export const ProjectDeliveryRef = builder.objectRef<StoredColumns>('ProjectDelivery').implement({
  description: "A project's delivery settings. Every attempt, first or retry, is built from them as they are when it is sent",
  fields: (t) => ({
    headerPrefix: t.string({
      description: 'Prefix of the branded headers: `<prefix>-Signature`, `-Event`, `-Delivery`',
      resolve: (p, _a, ctx) => settingsOf(ctx.deps.config, p).headerPrefix,
    }),
    signatureFormat: t.field({
      type: SignatureFormatEnum,
      resolve: (p, _a, ctx) => nameOfFormat(settingsOf(ctx.deps.config, p).signatureFormat) as SignatureFormatName,
    }),
    envelope: t.string({
      description: 'The body\'s keys in order, `name=source` renaming one of id, type, timestamp, project_id, data (e.g. "id,type,createdAt=timestamp,data")',
      resolve: (p, _a, ctx) => formatEnvelope(settingsOf(ctx.deps.config, p).envelope),
    }),
    userAgent: t.string({ resolve: (p, _a, ctx) => settingsOf(ctx.deps.config, p).userAgent }),
    retryPolicy: t.field({
      type: 'JSON',
      description: 'For webhooks without a retry policy of their own',
      resolve: (p, _a, ctx) => settingsOf(ctx.deps.config, p).retryPolicy,
    }),
    retrySchedule: t.floatList({
      description: 'Seconds waited after each failed attempt under that policy (before ±20 % jitter); attempts in all = length + 1',
      resolve: (p, _a, ctx) => scheduleOf(settingsOf(ctx.deps.config, p).retryPolicy, []),
    }),
    disableAfterFailures: t.int({
      description: 'Consecutive failed attempts (across deliveries) that disable a webhook of this project',
      resolve: (p, _a, ctx) => settingsOf(ctx.deps.config, p).disableAfterFailures,
    }),
  }),
});

export const ProjectDeliveryInput = builder.inputType('ProjectDeliveryInput', {
  description: "A project's delivery settings; each one left out is kept (on createProject: the deployment's)",
  fields: (t) => ({
    headerPrefix: t.string({ description: 'e.g. X-Acme: a letter, then letters, digits and hyphens' }),
    signatureFormat: t.field({ type: SignatureFormatEnum }),
    envelope: t.string({ description: 'e.g. "id,type,created_at=timestamp,data"' }),
    userAgent: t.string(),
    retryPolicy: t.field({ type: RetryPolicyInput }),
    disableAfterFailures: t.int(),
  }),
});
