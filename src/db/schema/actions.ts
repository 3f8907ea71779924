// Priced actions: what an admin puts behind tollgate (a workflow to run, or an API to proxy),
// every run of one, and the version of the route table each isolate caches.
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const ACTION_KINDS = ["run", "proxy"] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];
export const ACTION_MODES = ["sync", "async"] as const;
export type ActionMode = (typeof ACTION_MODES)[number];
/** `ANY` (proxy only): every method is forwarded as it came. */
export const ACTION_METHODS = ["ANY", "GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type ActionMethod = (typeof ACTION_METHODS)[number];
export const ACTION_WINDOWS = ["second", "minute", "hour", "day"] as const;
export type ActionWindow = (typeof ACTION_WINDOWS)[number];
export const RUN_STATUSES = ["queued", "running", "succeeded", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Why a run failed; null while it has not, and for successes. */
export const RUN_ERRORS = [
  "upstream_failed",
  "upstream_timeout",
  "upstream_unreachable",
  // Async: the action was deleted or disabled before the queue got to the run.
  "action_unavailable",
  // Async: the run could not be queued (answered 500, nothing charged).
  "not_queued",
  // Started and never ended (its isolate died): ended by the sweep, the hold released.
  "abandoned",
  // Async: delivered after its hold expired (released): not run, nothing charged.
  "hold_expired",
] as const;
export type RunError = (typeof RUN_ERRORS)[number];

export const actions = sqliteTable(
  "actions",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    kind: text("kind", { enum: ACTION_KINDS }).notNull(),
    upstreamUrl: text("upstream_url").notNull(),
    method: text("method", { enum: ACTION_METHODS }).notNull(),
    // Proxy only: the path under which requests are forwarded (`/api/quotes`).
    pathPrefix: text("path_prefix"),
    // Null: free (still limited). Minor units of `price_currency`.
    priceAmount: integer("price_amount"),
    priceCurrency: text("price_currency"),
    // Quota units counted against the plan's windows per run.
    cost: integer("cost").notNull().default(1),
    timeoutMs: integer("timeout_ms").notNull().default(10_000),
    mode: text("mode", { enum: ACTION_MODES }).notNull().default("sync"),
    // Null: the default of 10 a minute per user.
    rateLimit: integer("rate_limit"),
    rateWindow: text("rate_window", { enum: ACTION_WINDOWS }),
    requiredFeature: text("required_feature"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    // AES-GCM sealed (src/actions/secrets.ts): tollgate must read it to sign, so not a hash.
    signingSecret: text("signing_secret").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("actions_slug_unique").on(t.slug),
    uniqueIndex("actions_path_prefix_unique").on(t.pathPrefix),
    index("actions_created_idx").on(t.createdAt, t.id),
  ],
);

export const actionRuns = sqliteTable(
  "action_runs",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    // No foreign key: a deleted action's runs stay, with its slug.
    actionId: text("action_id").notNull(),
    actionSlug: text("action_slug").notNull(),
    kind: text("kind", { enum: ACTION_KINDS }).notNull(),
    mode: text("mode", { enum: ACTION_MODES }).notNull(),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    error: text("error", { enum: RUN_ERRORS }),
    priceAmount: integer("price_amount"),
    priceCurrency: text("price_currency"),
    // True once the price was captured (the run succeeded); a failed run's hold is released.
    charged: integer("charged", { mode: "boolean" }).notNull().default(false),
    idempotencyKey: text("idempotency_key"),
    // The request as the upstream got it: method and path (with the query) for proxied calls.
    method: text("method").notNull(),
    path: text("path"),
    requestBody: text("request_body"),
    requestTruncated: integer("request_truncated", { mode: "boolean" }).notNull().default(false),
    upstreamStatus: integer("upstream_status"),
    responseBody: text("response_body"),
    responseTruncated: integer("response_truncated", { mode: "boolean" }).notNull().default(false),
    responseContentType: text("response_content_type"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    // Time the upstream took (or until the timeout), ms.
    durationMs: integer("duration_ms"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("action_runs_user_idx").on(t.userId, t.createdAt, t.id),
    index("action_runs_created_idx").on(t.createdAt, t.id),
    index("action_runs_open_idx").on(t.status, t.updatedAt),
  ],
);

/**
 * One row: changed in the batch of every admin write to `actions`. Isolates cache the route
 * table and compare this (one row by key) to notice a change made elsewhere.
 */
export const actionTableVersion = sqliteTable("action_table_version", {
  id: integer("id").primaryKey(),
  version: text("version").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export type Action = typeof actions.$inferSelect;
export type ActionRun = typeof actionRuns.$inferSelect;
