import { type Dispatcher, request } from 'undici';
import type { SendFailure, SendResult } from '../src/core/delivery/sendResult.ts';

/** Receivers' answers are logged, not stored whole: anything past this is dropped unread. */
export const RESPONSE_BODY_LIMIT = 16 * 1024;

export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

function classifyError(err: unknown, timeoutMs: number, signal: AbortSignal): SendFailure {
  if (signal.aborted) return { kind: 'timeout', message: `TIMEOUT: no complete answer within ${timeoutMs / 1000}s` };
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  if (code === 'SSRF_BLOCKED') return { kind: 'ssrf_blocked', message: `SSRF_BLOCKED: ${message}` };
  return { kind: 'network', message: code ? `${code}: ${message}` : message };
}

function statusFailure(status: number): SendFailure | null {
  return status >= 200 && status < 300 ? null : { kind: 'http', message: `HTTP ${status}` };
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf);
    size += buf.length;
    if (size >= RESPONSE_BODY_LIMIT) break;
  }
  // Leaving the loop early destroys the stream, which drops the connection instead of draining it.
  if (!body.destroyed) body.destroy();
  return Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8');
}

/**
 * One POST, no redirects followed, one deadline for connect + headers + body. Never throws: every
 * failure becomes a typed `failure` the outcome rules and the attempt log read.
 */
export async function sendWebhook(req: OutboundRequest, dispatcher: Dispatcher): Promise<SendResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(req.timeoutMs);
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await request(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      dispatcher,
      signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const headers = res.headers as Record<string, string | string[]>;
    try {
      const body = await readCapped(res.body);
      return { status: res.statusCode, headers, body, durationMs: elapsed(), failure: statusFailure(res.statusCode) };
    } catch (err) {
      // The status arrived but the body did not finish in time: the attempt failed, keep what we know.
      return { status: res.statusCode, headers, body: null, durationMs: elapsed(), failure: classifyError(err, req.timeoutMs, signal) };
    }
  } catch (err) {
    return { status: null, headers: null, body: null, durationMs: elapsed(), failure: classifyError(err, req.timeoutMs, signal) };
  }
}
