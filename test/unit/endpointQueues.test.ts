import { describe, expect, it } from 'vitest';
import type { DeliveryRef } from '../../src/core/queue/deliveryQueue.ts';
import { EndpointQueues } from '../../worker/endpointQueues.ts';
import type { DueDelivery } from '../../worker/stages/claim.ts';

const refs = (webhookId: string, n: number, from = 0): DeliveryRef[] => Array.from({ length: n }, (_, i) => [`dlv_${webhookId}_${from + i}`, webhookId, 0]);

const claimed = ([id, webhookId]: DeliveryRef, cap: number) => ({ id, webhook: { id: webhookId, maxConcurrency: cap } }) as unknown as DueDelivery;

/** Admits, claims and parks what the queues let through, as the dispatcher does; caps by webhook. */
function takeAll(q: EndpointQueues, list: DeliveryRef[], cap: number | Record<string, number>) {
  const admitted = q.admit(list);
  for (const ref of admitted) q.park(claimed(ref, typeof cap === 'number' ? cap : cap[ref[1]]));
  return admitted;
}

describe('per-endpoint queues', () => {
  it('claims up to twice the cap ahead and keeps the rest waiting, in order', () => {
    const q = new EndpointQueues();
    expect(takeAll(q, refs('whk_a', 25), 10)).toHaveLength(20); // default cap 10 before the first claim
    const sent = [];
    for (let d = q.nextSendable(); d; d = q.nextSendable()) sent.push(d.id);
    expect(sent).toEqual(refs('whk_a', 10).map(([id]) => id)); // 10 in flight, 10 parked
    expect(q.backlog()).toBe(15); // 10 parked + 5 waiting
    // At its cap with a request out for over a second: congested, its backlog no longer counts.
    expect(q.backlog(Date.now() + 1500)).toBe(0);
    // A slot free again: it counts.
    q.sent('whk_a', 'dlv_whk_a_0');
    expect(q.backlog(Date.now() + 1500)).toBeGreaterThan(0);
  });

  it('learns the cap from claims and keeps it for later jobs', () => {
    const q = new EndpointQueues();
    takeAll(q, refs('whk_a', 1), 2);
    expect(q.admit(refs('whk_a', 10, 1))).toHaveLength(3); // 2 × 2 in hand, one already
  });

  it('refills in batches once half the claim-ahead is used', () => {
    const q = new EndpointQueues();
    takeAll(q, refs('whk_a', 1), 4);
    takeAll(q, refs('whk_a', 20, 1), 4); // 7 more reserved (8 in hand), 13 waiting
    for (let i = 0; i < 4; i++) q.nextSendable();
    expect(q.sent('whk_a', 'x')).toEqual([]); // 7 in hand: still more than one cap
    expect(q.sent('whk_a', 'x')).toEqual([]); // 6
    expect(q.sent('whk_a', 'x')).toEqual([]); // 5
    const refill = q.sent('whk_a', 'x'); // 4 in hand: claim up to 8
    expect(refill.map(([id]) => id)).toEqual(refs('whk_a', 4, 8).map(([id]) => id));
    expect(q.sent('whk_a', 'x')).toEqual([]); // a refill is under way: no second one
    expect(q.refilled('whk_a')).toEqual([]); // done, with 7 in hand: more than one cap, no refill yet
    q.nextSendable();
    q.nextSendable();
    q.sent('whk_a', 'x');
    q.sent('whk_a', 'x');
    q.sent('whk_a', 'x'); // 4 in hand again
    expect(q.refilled('whk_a')).toEqual([]); // no refill was under way: sent() already refilled
  });

  it('a refill finishing with room left claims the next batch at once', () => {
    const q = new EndpointQueues();
    takeAll(q, refs('whk_a', 1), 2);
    takeAll(q, refs('whk_a', 10, 1), 2); // 4 in hand, 7 waiting
    q.nextSendable();
    q.nextSendable();
    q.sent('whk_a', 'x'); // 3 in hand
    expect(q.sent('whk_a', 'x')).toHaveLength(2); // 2 in hand: refill to 4
    // Both refilled deliveries turned out settled elsewhere: their reservations come back.
    q.unreserve('whk_a');
    q.unreserve('whk_a');
    expect(q.refilled('whk_a')).toHaveLength(2);
  });

  it('serves endpoints round robin and never lets one exceed its cap', () => {
    const q = new EndpointQueues();
    takeAll(q, refs('whk_slow', 1), 1);
    takeAll(q, refs('whk_fast', 1), 5);
    takeAll(q, [...refs('whk_slow', 3, 1), ...refs('whk_fast', 4, 1)], { whk_slow: 1, whk_fast: 5 });
    const order = [];
    for (let d = q.nextSendable(); d; d = q.nextSendable()) order.push(d.webhook.id);
    expect(order.filter((w) => w === 'whk_slow')).toHaveLength(1);
    expect(order.filter((w) => w === 'whk_fast')).toHaveLength(5);
  });

  it('hands back what it holds on shutdown', () => {
    const q = new EndpointQueues();
    takeAll(q, refs('whk_a', 1), 1);
    takeAll(q, refs('whk_a', 5, 1), 1);
    q.nextSendable();
    const { parked, waiting } = q.takeAll();
    expect(parked.map((d) => d.id)).toEqual(['dlv_whk_a_1']);
    expect(waiting.map(([id]) => id)).toEqual(['dlv_whk_a_2', 'dlv_whk_a_3', 'dlv_whk_a_4', 'dlv_whk_a_5']);
  });

  it('a gate holds an endpoint back without a slot, and its backlog is its own', () => {
    const open = new Set(['whk_free']);
    const q = new EndpointQueues({ mayGo: (d) => open.has(d.webhook.id), setsOwnPace: (id) => id === 'whk_paced' });
    takeAll(q, [...refs('whk_paced', 3), ...refs('whk_free', 2)], 10);
    const sent = [];
    for (let d = q.nextSendable(); d; d = q.nextSendable()) sent.push(d.id);
    expect(sent).toEqual(['dlv_whk_free_0', 'dlv_whk_free_1']);
    expect(q.backlog()).toBe(0); // the paced endpoint's three are its own to wait out
    open.add('whk_paced');
    expect(q.nextSendable()?.id).toBe('dlv_whk_paced_0');
  });

  it('evicts an endpoint whose circuit opened: parked and waiting come out, the others stay', () => {
    const q = new EndpointQueues();
    takeAll(q, [...refs('whk_a', 25), ...refs('whk_b', 1)], 10);
    for (let i = 0; i < 10; i++) q.nextSendable(); // whk_b's one and 9 of whk_a in flight
    const { parked, waiting } = q.evict('whk_a');
    expect(parked.length + waiting.length).toBe(25 - 9);
    expect(q.nextSendable()).toBeUndefined();
    expect(q.backlog()).toBe(0);
    // In-flight ones finish; with nothing waiting there is nothing to refill.
    expect(q.sent('whk_a', 'dlv_whk_a_0')).toEqual([]);
  });

  it('lets waiting refs go when the ones reserved before them are not claimed, with nothing in flight', () => {
    // Several jobs for one endpoint (cap 1) at once, its circuit open: two are reserved, the rest wait.
    const q = new EndpointQueues();
    takeAll(q, refs('whk_a', 1), 1);
    q.nextSendable();
    q.sent('whk_a', 'dlv_whk_a_0');
    expect(q.admit(refs('whk_a', 4, 1))).toHaveLength(2);
    // Neither is claimed (the circuit holds them): no answer will come, so the waiting ones go now.
    const ids = (list: DeliveryRef[]) => list.map(([id]) => id);
    expect(ids(q.unclaimed('whk_a'))).toEqual(['dlv_whk_a_3']); // back to two in hand
    expect(q.unclaimed('whk_a')).toEqual([]); // a refill is under way
    expect(q.unclaimed('whk_a')).toEqual([]); // the refilled one is not claimed either
    expect(ids(q.refilled('whk_a'))).toEqual(['dlv_whk_a_4']); // that refill done: the last one goes
  });

  it('admits a carried delivery while its endpoint has room and nothing waits before it', () => {
    const q = new EndpointQueues();
    // Twice the endpoint's cap in hand, carried or claimed.
    const admitted = (webhookId: string, n: number, cap = 10) => Array.from({ length: n }, () => q.admitLeased(webhookId, cap)).filter(Boolean).length;
    expect(admitted('whk_a', 25)).toBe(20);
    expect(admitted('whk_b', 3)).toBe(3);
    // A new endpoint's cap comes with its carried settings.
    expect(admitted('whk_e', 5, 2)).toBe(4);
    expect(q.admit(refs('whk_b', 20, 3))).toHaveLength(17); // one claim-ahead in all, carried or claimed
    // An endpoint with refs waiting keeps their turn: a carried delivery may not pass them.
    const c = new EndpointQueues();
    takeAll(c, refs('whk_c', 1), 1); // cap 1 learned
    expect(c.admit(refs('whk_c', 3, 1))).toHaveLength(1); // two in hand, two waiting
    expect(c.admitLeased('whk_c', 1)).toBe(false);
    // A known cap of an endpoint forgotten while idle still bounds it.
    const d = new EndpointQueues();
    takeAll(d, refs('whk_d', 1), 2);
    d.nextSendable();
    d.sent('whk_d', 'dlv_whk_d_0');
    expect(Array.from({ length: 5 }, () => d.admitLeased('whk_d', 50)).filter(Boolean)).toHaveLength(4);
  });
});
