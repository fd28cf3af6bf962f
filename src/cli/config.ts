// The CLI's own configuration: flags first, then HOOKPOST_URL / HOOKPOST_API_KEY. The CLI is a separate
// program talking to the API over the network, so it reads its environment here, not in src/core/config.ts.
import { badInput } from './errors.ts';

export interface CliConfig {
  /** The GraphQL endpoint over HTTP, e.g. http://localhost:4000/graphql */
  url: string;
  /** The same endpoint for graphql-ws subscriptions (ws: or wss:) */
  wsUrl: string;
  apiKey?: string;
}

export const DEFAULT_URL = 'http://localhost:4000/graphql';

export interface CliFlags {
  url?: string;
  apiKey?: string;
}

/** A base URL (`http://host:4000`) gets `/graphql`; a full endpoint URL is kept as given. */
export function resolveCliConfig(flags: CliFlags, env: Record<string, string | undefined> = process.env): CliConfig {
  const raw = flags.url || env.HOOKPOST_URL || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badInput(`not a URL: ${raw} (HOOKPOST_URL or --api-url, e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`the API URL must be http(s): ${raw}`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
  const wsUrl = new URL(url);
  wsUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return { url: url.toString(), wsUrl: wsUrl.toString(), apiKey: flags.apiKey || env.HOOKPOST_API_KEY || undefined };
}
