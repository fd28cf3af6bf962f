import type { ReceivedRequest } from './receiver.ts';
import { type LineAnswer, type LineReceiver, startLineReceiver } from './lineReceiver.ts';

export interface TurnCheckedLineReceiver extends LineReceiver {
  /**
   * Every request that came before its turn: event i arriving while some earlier event (0 … i-1) had
   * not yet been answered 2xx. An ordered endpoint must leave this empty.
   */
  outOfTurn: string[];
}

/**
 * A line receiver (see lineReceiver.ts) that checks each arrival against the answers given so far:
 * first arrivals in order are not enough (5 failing, then 6 sent, then both retried in order would
 * pass that), so at the arrival of event i every event before i must already have had its 2xx.
 */
export async function startTurnCheckedLineReceiver(
  answer: (i: number, nth: number, req: ReceivedRequest) => LineAnswer,
  delayMs?: number,
): Promise<TurnCheckedLineReceiver> {
  const outOfTurn: string[] = [];
  const succeeded = new Set<number>();
  let seenReceipts = 0;
  /** The lowest event not answered 2xx yet: every event below it has been. */
  let firstOpen = 0;
  const receiver: LineReceiver = await startLineReceiver((i, nth, req) => {
    for (; seenReceipts < receiver.receipts.length; seenReceipts++) succeeded.add(receiver.receipts[seenReceipts]);
    while (succeeded.has(firstOpen)) firstOpen++;
    if (i > firstOpen) outOfTurn.push(`event ${i} arrived (request ${nth}) before event ${firstOpen} had its 2xx`);
    return answer(i, nth, req);
  }, delayMs);
  return Object.assign(receiver, { outOfTurn });
}
