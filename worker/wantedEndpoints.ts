import type { Wakeup } from '../src/core/queue/wakeups.ts';
import type { EndpointSlots } from './endpointSlots.ts';
import type { ClaimRequest, DueDelivery } from './stages/claim.ts';

/** What one claim asks Postgres for. */
export interface ClaimPlan {
  requests: ClaimRequest[];
  /** Ordered endpoints whose line head to claim. */
  lines: string[];
}

/**
 * The endpoints this process was told may have due deliveries, until a claim shows they have none
 * left for it. An unordered endpoint stays wanted while it fills the room this process has for it
 * (more may be due); an ordered one is wanted until its head is claimed, and again once that head
 * is settled. Lines whose head is in hand are not asked for: a line has one delivery out at most.
 */
export class WantedEndpoints {
  private readonly webhooks = new Set<string>();
  private readonly lines = new Set<string>();
  private readonly linesInHand = new Set<string>();

  constructor(private readonly slots: EndpointSlots) {}

  add(wakeup: Wakeup): void {
    for (const id of wakeup.webhookIds) this.webhooks.add(id);
    for (const id of wakeup.lines) this.lines.add(id);
  }

  /** Whether any endpoint is wanted (a freed slot may then claim more). */
  get any(): boolean {
    return this.webhooks.size > 0 || this.lines.size > 0;
  }

  /** What to claim now: every wanted endpoint with room here, and every line with no head in hand. */
  plan(): ClaimPlan {
    return {
      requests: [...this.webhooks].filter((id) => !this.slots.isFull(id)).map((webhookId) => ({ webhookId, held: this.slots.heldOf(webhookId) })),
      lines: [...this.lines].filter((id) => !this.linesInHand.has(id)),
    };
  }

  /**
   * After a claim for `plan` that could take `room` in all: endpoints that gave less than their room
   * have nothing more due; lines whose head came are in hand, the others have nothing due. Returns
   * the endpoints that filled their room (another worker may take what is left).
   */
  claimed(plan: ClaimPlan, room: number, claimed: DueDelivery[], heads: DueDelivery[]): string[] {
    for (const id of plan.lines) this.lines.delete(id);
    for (const d of heads) this.linesInHand.add(d.webhook.id);
    const gave = new Map<string, { count: number; cap: number }>();
    for (const d of claimed) {
      const g = gave.get(d.webhook.id) ?? { count: 0, cap: d.webhook.maxConcurrency };
      g.count++;
      gave.set(d.webhook.id, g);
    }
    // Judged against what the claim asked for, not against the slots now: sends that finished while
    // the claim ran free slots, and that must not read as "nothing more is due".
    const filled = plan.requests
      .filter((r) => {
        const g = gave.get(r.webhookId);
        return g !== undefined && g.count >= g.cap - r.held;
      })
      .map((r) => r.webhookId);
    // A claim cut short by `room` says nothing of the endpoints it did not reach.
    if (claimed.length < room) for (const r of plan.requests) if (!filled.includes(r.webhookId)) this.webhooks.delete(r.webhookId);
    return filled;
  }

  /** The line's head is settled: its next delivery may be claimed. */
  lineSettled(webhookId: string): void {
    this.linesInHand.delete(webhookId);
    this.lines.add(webhookId);
  }

  /** The endpoint's circuit is open: nothing of it is claimed until its probe. */
  drop(webhookId: string): void {
    this.webhooks.delete(webhookId);
  }

  /** Shutting down: no line head is in hand any more. */
  clear(): void {
    this.webhooks.clear();
    this.lines.clear();
    this.linesInHand.clear();
  }
}
