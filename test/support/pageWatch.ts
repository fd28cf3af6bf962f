import type { Page } from 'playwright-core';

/** What a page under test did that it must not: requests to another host, and anything that failed. */
export interface PageWatch {
  /** Requests to anything but Hookpost's own origin (data: URLs aside): a CDN, a tracker. */
  foreign: string[];
  /** Failed requests, answers of 400 and over, page errors and console errors. */
  problems: string[];
}

/** Records into `into` what `page` does wrong while it talks to Hookpost at `hookpostUrl`. */
export function watchPage(page: Page, hookpostUrl: string, into: PageWatch): PageWatch {
  const origin = new URL(hookpostUrl);
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.protocol !== 'data:' && u.host !== origin.host) into.foreign.push(req.url());
  });
  page.on('requestfailed', (req) => into.problems.push(`failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) into.problems.push(`${res.status()}: ${res.url()}`);
  });
  page.on('pageerror', (err) => into.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') into.problems.push(`console: ${msg.text()}`);
  });
  return into;
}
