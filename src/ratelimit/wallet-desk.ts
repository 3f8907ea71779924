// The wallet's RPCs as the object runs them, outside the hot path: settling holds, credits and
// debits, auto-recharge, and the alarm's share (stale holds, the recharge to hand to the queue).
// Every method is synchronous; `moved` tells the object a ledger entry was written, so D1's copy
// follows within seconds.
import type { WalletRechargeMessage } from "../env";
import { newId } from "../lib/ids";
import { AutoRecharge } from "./auto-recharge";
import type { AutoRechargeSettings, Movement, MovementResult, WalletBalance } from "./messages";
import { Wallet } from "./wallet";

export class WalletDesk {
  readonly wallet: Wallet;
  readonly recharge: AutoRecharge;

  constructor(
    sql: SqlStorage,
    private readonly moved: (now: number) => void,
  ) {
    this.wallet = new Wallet(sql);
    this.recharge = new AutoRecharge(sql);
  }

  /** Settles a hold; a balance left below the auto-recharge threshold starts a recharge once. */
  capture(reference: string, now: number): boolean {
    const entry = this.wallet.capture(reference, now);
    if (!entry) return false;
    const balance: WalletBalance = {
      currency: entry.currency,
      available: entry.available_after,
      held: entry.held_after,
    };
    this.recharge.check(balance, () => newId("rch"), now);
    this.moved(now);
    return true;
  }

  release(reference: string, now: number): boolean {
    const entry = this.wallet.release(reference, now);
    if (entry) this.moved(now);
    return entry !== null;
  }

  move(movement: Movement, now: number): MovementResult {
    const result = this.wallet.move(movement, now);
    if (result.outcome === "applied") this.moved(now);
    return result;
  }

  /** New settings; a balance already below the threshold recharges after the next capture. */
  configureRecharge(settings: AutoRechargeSettings): void {
    this.recharge.configure(settings);
  }

  /**
   * The alarm's share, before the flush: releases holds past their expiry and hands a started
   * recharge to the queue (marked once the send succeeded; a failed send is retried by the next
   * alarm, and the charge is idempotent on the recharge's reference).
   */
  async tend(
    queue: Queue<WalletRechargeMessage>,
    userId: string | null,
    now: number,
  ): Promise<void> {
    this.wallet.expireHolds(now);
    const request = this.recharge.unrequested();
    if (!request || userId === null) return;
    try {
      await queue.send({ user_id: userId, ...request });
      this.recharge.markRequested(request.reference);
    } catch (error) {
      console.error(
        JSON.stringify({ msg: "recharge not queued", user: userId, error: String(error) }),
      );
    }
  }

  /** Whether the alarm has wallet work left: entries to flush or a recharge to queue. */
  hasWork(): boolean {
    return this.wallet.hasUnflushed() || this.recharge.unrequested() !== null;
  }
}
