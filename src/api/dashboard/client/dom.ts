// A few DOM helpers. Everything a server or receiver sent is set as text, never as HTML.
import type { DeliveryTiming } from './documents.ts';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value != null) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'object' ? c : String(c));
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

/**
 * When a delivery goes next. A held one keeps the `nextAttemptAt` it was due at, which slips into
 * the past while it waits: say what holds it instead.
 */
export function nextAttempt(d: DeliveryTiming): string {
  if (d.heldBy === 'WEBHOOK_DISABLED') return 'held: webhook disabled';
  // No probe time: the circuit is half-open, its probe already on its way.
  if (d.heldBy === 'CIRCUIT_OPEN') return d.heldUntil ? `held: circuit open, next probe ${time(d.heldUntil)}` : 'held: circuit probing';
  return time(d.nextAttemptAt);
}

export function percent(rate: number | null | undefined): string {
  return rate == null ? '—' : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)} %`;
}

export function ms(value: number | null | undefined): string {
  return value == null ? '—' : `${Math.round(value)} ms`;
}

/** An HTTP status as a badge coloured by class; no status: the transport failed. */
export function statusBadge(status: number | null | undefined, succeeded: boolean): HTMLElement {
  const cls = status == null ? 'none' : `s${Math.floor(status / 100)}xx`;
  return h('span', { class: `badge ${cls} ${succeeded ? 'ok' : 'fail'}` }, status ?? 'no answer');
}

export function json(value: unknown): string {
  return value == null ? '—' : JSON.stringify(value, null, 2);
}

/**
 * Focuses `el`, or the control that replaced it: the endpoint list is redrawn whenever an attempt
 * lands, so the button a dialog was opened from may be gone by the time it closes.
 */
export function restoreFocus(el: HTMLElement | null): void {
  if (!el) return;
  const key = el.dataset.focus;
  const target = el.isConnected || !key ? el : document.querySelector<HTMLElement>(`[data-focus="${CSS.escape(key)}"]`);
  target?.focus();
}
