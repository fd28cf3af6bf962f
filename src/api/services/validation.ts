import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.ts';
import { badInput } from '../errors.ts';
import { isValidEventPattern, isValidEventType } from '../../core/eventTypes.ts';

/** Parses input with a zod schema; the first problem becomes a BAD_USER_INPUT error naming the field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join('.');
  throw badInput(field ? `${field}: ${issue.message}` : issue.message, field || undefined);
}

export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function webhookUrl(allowHttp: boolean) {
  return z
    .string()
    .max(2048)
    .refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
      } catch {
        return false;
      }
    }, 'must be an absolute http(s) URL without credentials')
    .refine((value) => allowHttp || value.toLowerCase().startsWith('https:'), 'must use https (set HOOKPOST_ALLOW_HTTP=true to allow plain http)');
}

export const eventPatterns = z
  .array(z.string().refine(isValidEventPattern, 'event names are dot-separated words; `*` is a wildcard segment'))
  .min(1, 'subscribe to at least one event type (or "*")')
  .max(100)
  .transform((list) => [...new Set(list)]);

export const eventType = z.string().refine(isValidEventType, 'an event type is dot-separated words of letters, digits, _ and - (no wildcards)');

export const webhookSecret = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(512)
  .refine((s) => !/\s/.test(s), 'must not contain white space')
  .refine((s) => {
    if (!s.startsWith('whsec_')) return true;
    const body = s.slice(6);
    return /^[A-Za-z0-9+/]+={0,2}$/.test(body) && Buffer.from(body, 'base64').length >= 16;
  }, 'a whsec_ secret must be base64 of at least 16 bytes after the prefix');

export function customHeaders(reserved: Set<string>) {
  return z
    .record(z.string(), z.string())
    .refine((h) => Object.keys(h).length <= 20, 'at most 20 custom headers')
    .superRefine((h, ctx) => {
      for (const [name, value] of Object.entries(h)) {
        if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `"${name}" is not a valid header name` });
        else if (reserved.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', message: `"${name}" is set by Hookpost and cannot be overridden` });
        else if (/[\r\n\0]/.test(value) || value.length > 1024)
          ctx.addIssue({ code: 'custom', message: `the value of "${name}" must be one line of at most 1024 characters` });
      }
    });
}

export const timeoutSeconds = z.number().int().min(1).max(60);

export const DEFAULT_MAX_CONCURRENCY = 10;
export const maxConcurrency = z.number().int().min(1).max(1000);
export const rateLimitPerSecond = z.number().int().min(1).max(10_000);

export const MAX_EVENT_DATA_BYTES = 256 * 1024;
export const MAX_EVENT_DATA_DEPTH = 64;

/** How deeply objects and arrays nest, counted without recursion so hostile input cannot blow the stack. */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Event data: a JSON object, at most 64 levels deep and 256 KiB; `json` is the exact text stored and sent. */
export const eventData = z
  .unknown()
  .refine((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'data must be a JSON object')
  .refine((v) => nestingDepth(v, MAX_EVENT_DATA_DEPTH) <= MAX_EVENT_DATA_DEPTH, `data may nest at most ${MAX_EVENT_DATA_DEPTH} levels deep`)
  .transform((v, ctx) => {
    const json = JSON.stringify(v);
    if (Buffer.byteLength(json) > MAX_EVENT_DATA_BYTES) {
      ctx.addIssue({ code: 'custom', message: `data must be at most ${MAX_EVENT_DATA_BYTES / 1024} KiB as JSON` });
      return z.NEVER;
    }
    return { value: v as Prisma.JsonObject, json };
  });
