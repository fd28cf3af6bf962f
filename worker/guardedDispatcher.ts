import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { type Cidr, classifyAddress } from '../src/core/delivery/addressPolicy.ts';

/** Resolves a host name to its addresses, in the order to try them. */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export class SsrfBlockedError extends Error {
  readonly code = 'SSRF_BLOCKED';
}

/**
 * An undici Agent whose connector resolves the host once, checks the address, and connects to that
 * very address (TLS still verifies the original name). There is no second lookup for DNS rebinding
 * to answer differently.
 */
export function createGuardedAgent(opts: {
  allowedNetworks: Cidr[];
  resolver?: Resolver;
  connectTimeoutMs?: number;
  /** Keep-alive connections per origin: as many as deliveries may be in flight. */
  connections?: number;
  /** The local address to send from. */
  localAddress?: string;
}): Agent {
  const resolve = opts.resolver ?? systemResolver;
  const connect = buildConnector({ timeout: opts.connectTimeoutMs ?? 10_000 });
  return new Agent({
    keepAliveTimeout: 10_000,
    connections: opts.connections ?? 16,
    connect: (options, callback) => {
      void (async () => {
        let address: string;
        const host = options.hostname.replace(/^\[|\]$/g, '');
        try {
          const [first] = isIP(host) ? [host] : await resolve(host);
          if (!first) throw new Error(`${host} did not resolve`);
          const verdict = classifyAddress(first, opts.allowedNetworks);
          if (!verdict.allowed) throw new SsrfBlockedError(`refused to connect to ${host}: ${verdict.reason}`);
          address = verdict.address;
        } catch (err) {
          callback(err as Error, null);
          return;
        }
        connect(
          {
            ...options,
            hostname: address,
            localAddress: opts.localAddress ?? options.localAddress,
            servername: options.servername ?? (isIP(host) ? undefined : host),
          },
          callback,
        );
      })();
    },
  });
}
