// MRR movements: how a subscriber's MRR changed since the previous snapshot (new, expansion,
// contraction, churn, reactivation), and the row changes that record it. Pure — the snapshot's
// walk reads the rows and writes the changes.
import type { CurrencyMrr } from "./mrr";

export type MovementKind = "new" | "reactivation" | "expansion" | "contraction" | "churn" | "none";

export interface Movement {
  kind: MovementKind;
  /** Minor units, ≥ 0: the MRR added or lost. */
  amount: number;
}

/** The MRR movement from the previous snapshot's value (null: no row) to today's. */
export function classifyMovement(
  previous: { mrr: number; everPaid: boolean } | null,
  mrr: number,
): Movement {
  const before = previous?.mrr ?? 0;
  if (before === 0 && mrr > 0) {
    return { kind: previous?.everPaid ? "reactivation" : "new", amount: mrr };
  }
  if (before > 0 && mrr === 0) return { kind: "churn", amount: before };
  if (mrr > before) return { kind: "expansion", amount: mrr - before };
  if (mrr < before) return { kind: "contraction", amount: before - mrr };
  return { kind: "none", amount: 0 };
}

/** A subscriber_mrr row as the walk reads it. */
export interface StoredMrr {
  userId: string;
  currency: string;
  mrr: number;
  planId: string | null;
  everPaid: boolean;
  updatedAt: number;
}

/** One change to write: the row's new state, and the movement that goes with it. */
export interface MrrChange {
  u: string;
  c: string;
  m: number;
  p: string | null;
  e: 0 | 1;
  k: MovementKind;
  a: number;
}

/**
 * The changes for one user: per currency they pay or paid in, today's MRR against the stored
 * row. Rows already at `day` (or later) were counted by an earlier run and are left alone.
 */
export function userChanges(
  userId: string,
  today: Map<string, CurrencyMrr>,
  stored: StoredMrr[],
  day: number,
): MrrChange[] {
  const changes: MrrChange[] = [];
  const byCurrency = new Map(stored.map((row) => [row.currency, row]));
  const currencies = new Set([...today.keys(), ...byCurrency.keys()]);
  for (const currency of currencies) {
    const row = byCurrency.get(currency) ?? null;
    if (row && row.updatedAt >= day) continue;
    const now = today.get(currency);
    const mrr = now?.mrr ?? 0;
    const planId = mrr > 0 && now ? now.planId : null;
    if (!row && mrr === 0) continue;
    if (row && row.mrr === mrr && row.planId === planId) continue;
    const movement = classifyMovement(row, mrr);
    changes.push({
      u: userId,
      c: currency,
      m: mrr,
      p: planId,
      e: row?.everPaid || mrr > 0 ? 1 : 0,
      k: movement.kind,
      a: movement.amount,
    });
  }
  return changes;
}
