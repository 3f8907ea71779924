// Revenue analytics, written by the daily snapshot job.
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Each paying user's MRR as of the last analytics run, per currency: today's value compared with
// this one classifies the day's MRR movement (new, expansion, contraction, churn, reactivation).
export const subscriberMrr = sqliteTable(
  "subscriber_mrr",
  {
    userId: text("user_id").notNull(),
    currency: text("currency").notNull(),
    mrr: integer("mrr").notNull(),
    planId: text("plan_id"),
    // Set while the user pays; kept (with mrr 0) after churn so a return counts as reactivation.
    everPaid: integer("ever_paid", { mode: "boolean" }).notNull().default(true),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.currency] })],
);

// One row per UTC day and currency; the analytics API reads only these.
export const revenueDaily = sqliteTable(
  "revenue_daily",
  {
    day: integer("day").notNull(),
    currency: text("currency").notNull(),
    mrr: integer("mrr").notNull(),
    arr: integer("arr").notNull(),
    payingSubscribers: integer("paying_subscribers").notNull(),
    trials: integer("trials").notNull(),
    subscribersByPlan: text("subscribers_by_plan", { mode: "json" })
      .$type<Record<string, number>>()
      .notNull(),
    newMrr: integer("new_mrr").notNull(),
    expansionMrr: integer("expansion_mrr").notNull(),
    contractionMrr: integer("contraction_mrr").notNull(),
    churnedMrr: integer("churned_mrr").notNull(),
    reactivationMrr: integer("reactivation_mrr").notNull(),
    newSubscribers: integer("new_subscribers").notNull(),
    churnedSubscribers: integer("churned_subscribers").notNull(),
    signups: integer("signups").notNull(),
    activeUsers: integer("active_users").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.currency] })],
);
