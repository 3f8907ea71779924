// The wallet's RPCs as the object runs them, outside the hot path: settling holds, credits and
// debits, auto-recharge, low-balance thresholds, and the alarm's share (stale holds, the recharge
// and the low-balance crossings to hand to their queues).
// Every method is synchronous; `moved` tells the object a ledger entry was written, so D1's copy
// follows within seconds.
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { AutoRecharge } from "./auto-recharge";
import type {
  AutoRechargeSettings,
  LowBalanceChange,
  LowBalanceThreshold,
  Movement,
  MovementResult,
  WalletBalance,
} from "./messages";
import { Wallet } from "./wallet";

/** The queues the alarm hands wallet work to. */
type Queues = Pick<Env, "USAGE_ALERTS" | "WALLET_RECHARGES">;

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

  /** The low-balance thresholds, after setting (or clearing) one when `change` is given. */
  lowBalance(change: LowBalanceChange | null): LowBalanceThreshold[] {
    if (change) this.wallet.lowBalance.set(change);
    return this.wallet.lowBalance.thresholds();
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
  async tend(queues: Queues, userId: string | null, now: number): Promise<void> {
    this.wallet.expireHolds(now);
    if (userId === null) return;
    await this.wallet.lowBalance.send(queues.USAGE_ALERTS, userId);
    const request = this.recharge.unrequested();
    if (!request) return;
    try {
      await queues.WALLET_RECHARGES.send({ user_id: userId, ...request });
      this.recharge.markRequested(request.reference);
    } catch (error) {
      console.error(
        JSON.stringify({ msg: "recharge not queued", user: userId, error: String(error) }),
      );
    }
  }

  /** Whether the alarm has wallet work left: entries to flush, a recharge or alerts to queue. */
  hasWork(): boolean {
    return (
      this.wallet.hasUnflushed() ||
      this.recharge.unrequested() !== null ||
      this.wallet.lowBalance.hasPending()
    );
  }
}
