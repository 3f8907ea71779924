// The actions API's shapes: admin bodies (each field alone; the rules between fields are in
// rules.ts) and what admins, users and run records look like.
import { z } from "@hono/zod-openapi";
import {
  ACTION_KINDS,
  ACTION_METHODS,
  ACTION_MODES,
  ACTION_WINDOWS,
  RUN_ERRORS,
  RUN_STATUSES,
} from "../db/schema";
import { PageQuery } from "../lib/pagination";

export const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** Proxied paths live under /api/ (run_worker_first covers it; see README). */
export const PATH_PREFIX = /^\/api(\/[A-Za-z0-9._~-]+)+$/;
const FEATURE = /^[a-z][a-z0-9_]{0,39}$/;

const Slug = z
  .string()
  .regex(SLUG, "2 to 63 of a-z, 0-9 and -, starting with a letter or digit")
  .openapi({ example: "enrich-lead" });
const Price = z
  .object({
    amount: z.number().int().min(1).max(100_000_000).openapi({ description: "Minor units" }),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, "an ISO 4217 code")
      .toLowerCase()
      .openapi({ example: "usd" }),
  })
  .openapi("Price");
const RateLimit = z
  .object({
    limit: z.number().int().min(1).max(1_000_000),
    window: z.enum(ACTION_WINDOWS),
  })
  .openapi("ActionRateLimit");
const UpstreamUrl = z
  .url({ protocol: /^https?$/, error: "an http(s) URL" })
  .max(2000)
  .openapi({ example: "https://n8n.example.com/webhook/enrich-lead" });
const PathPrefix = z
  .string()
  .regex(PATH_PREFIX, "a path under /api/, e.g. /api/quotes (no trailing slash)")
  .max(200)
  .openapi({ example: "/api/quotes" });

const editable = {
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(2000).nullable(),
  upstream_url: UpstreamUrl,
  method: z.enum(ACTION_METHODS).openapi({
    description:
      "run: how the upstream is called (POST, PUT or PATCH; POST by default). proxy: the one method accepted, or ANY (the default)",
  }),
  path_prefix: PathPrefix.nullable().openapi({ description: "proxy only (required there)" }),
  price: Price.nullable().openapi({ description: "null: free (still limited)" }),
  cost: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .openapi({ description: "Quota units per run (default 1)" }),
  timeout_ms: z.number().int().min(100).max(300_000).openapi({ description: "Default 10,000" }),
  mode: z.enum(ACTION_MODES).openapi({ description: "async: run only; answers 202 at once" }),
  rate_limit: RateLimit.nullable().openapi({ description: "null: 10 a minute per user" }),
  required_feature: z.string().regex(FEATURE).nullable(),
  enabled: z.boolean(),
};

export const CreateActionBody = z
  .strictObject({
    slug: Slug,
    kind: z.enum(ACTION_KINDS),
    name: editable.name,
    description: editable.description.optional(),
    upstream_url: editable.upstream_url,
    method: editable.method.optional(),
    path_prefix: editable.path_prefix.optional(),
    price: editable.price.optional(),
    cost: editable.cost.default(1),
    timeout_ms: editable.timeout_ms.default(10_000),
    mode: editable.mode.default("sync"),
    rate_limit: editable.rate_limit.optional(),
    required_feature: editable.required_feature.optional(),
    enabled: editable.enabled.default(true),
  })
  .openapi("CreateActionRequest");
export type CreateActionInput = z.infer<typeof CreateActionBody>;

export const PatchActionBody = z
  .strictObject({
    slug: Slug.optional(),
    name: editable.name.optional(),
    description: editable.description.optional(),
    upstream_url: editable.upstream_url.optional(),
    method: editable.method.optional(),
    path_prefix: editable.path_prefix.optional(),
    price: editable.price.optional(),
    cost: editable.cost.optional(),
    timeout_ms: editable.timeout_ms.optional(),
    mode: editable.mode.optional(),
    rate_limit: editable.rate_limit.optional(),
    required_feature: editable.required_feature.optional(),
    enabled: editable.enabled.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "send at least one field")
  .openapi("UpdateActionRequest");
export type PatchActionInput = z.infer<typeof PatchActionBody>;

const common = {
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  kind: z.enum(ACTION_KINDS),
  method: z.enum(ACTION_METHODS),
  path_prefix: z.string().nullable(),
  price: Price.nullable(),
  cost: z.number().int(),
  timeout_ms: z.number().int(),
  mode: z.enum(ACTION_MODES),
};

export const ActionSchema = z
  .object({
    id: z.string().openapi({ example: "act_5x2k9v3m8d7c6x5z4q1w0e9r8t" }),
    ...common,
    upstream_url: z.string(),
    rate_limit: RateLimit.nullable().openapi({ description: "null: 10 a minute per user" }),
    required_feature: z.string().nullable(),
    enabled: z.boolean(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Action");

export const ActionWithSecretSchema = ActionSchema.extend({
  signing_secret: z.string().openapi({
    description: "Shown this once: verify Tollgate-Signature with it (README: Actions)",
    example: "tgsec_3q9…",
  }),
}).openapi("ActionWithSecret");

export const ActionListSchema = z
  .object({ data: z.array(ActionSchema), next_cursor: z.string().nullable() })
  .openapi("ActionList");

/** What a user sees of an action they may run: never the upstream or the secret. */
export const AvailableActionSchema = z
  .object({ ...common, rate_limit: RateLimit.openapi({ description: "In force per user" }) })
  .openapi("AvailableAction");

export const AvailableActionListSchema = z
  .object({ data: z.array(AvailableActionSchema) })
  .openapi("AvailableActionList");

export const ActionIdParam = z.object({
  id: z
    .string()
    .regex(/^act_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const SlugParam = z.object({
  slug: Slug.openapi({ param: { name: "slug", in: "path" } }),
});

export const RunIdParam = z.object({
  id: z
    .string()
    .regex(/^arn_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const ActionListQuery = z.object({ ...PageQuery });

export const RunBody = z
  .object({
    input: z
      .unknown()
      .optional()
      .openapi({
        description: "Any JSON: sent to the upstream as `input`",
        example: { email: "ada@example.com" },
      }),
  })
  .openapi("RunRequest");

const Body = z
  .object({
    body: z.string().nullable(),
    truncated: z.boolean().openapi({ description: "Stored up to 16 KiB (UTF-8)" }),
  })
  .openapi("RunBody");

export const RunSchema = z
  .object({
    id: z.string().openapi({ example: "arn_9k2m4x7c1v8b3n6z5q0w2e4r7t" }),
    action: z.string().openapi({ description: "The action's slug" }),
    user_id: z.string(),
    kind: z.enum(ACTION_KINDS),
    mode: z.enum(ACTION_MODES),
    status: z.enum(RUN_STATUSES),
    error: z.enum(RUN_ERRORS).nullable(),
    price: Price.nullable(),
    charged: z.boolean().openapi({ description: "True once the price was captured" }),
    idempotency_key: z.string().nullable(),
    method: z.string(),
    path: z.string().nullable().openapi({ description: "Proxied calls: path and query" }),
    upstream_status: z.number().int().nullable(),
    request: Body.nullable().openapi({ description: "null for proxied calls (streamed)" }),
    response: Body.extend({ content_type: z.string().nullable() }).nullable(),
    attempts: z.number().int(),
    created_at: z.iso.datetime(),
    started_at: z.iso.datetime().nullable(),
    finished_at: z.iso.datetime().nullable(),
    duration_ms: z.number().int().nullable(),
  })
  .openapi("ActionRun");

export const RunListSchema = z
  .object({ data: z.array(RunSchema), next_cursor: z.string().nullable() })
  .openapi("ActionRunList");

export const RunResultSchema = z
  .object({
    run: RunSchema,
    output: z.unknown().openapi({ description: "The upstream's JSON answer, or its text" }),
  })
  .openapi("ActionRunResult");

export const RunAcceptedSchema = z.object({ run: RunSchema }).openapi("ActionRunAccepted");

export const AdminRunListQuery = z.object({
  ...PageQuery,
  user_id: z.string().max(64).optional(),
  action: Slug.optional(),
  status: z.enum(RUN_STATUSES).optional(),
});

/** A client's key for retrying a run safely: printable ASCII, at most 255 characters. */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "1 to 255 printable ASCII characters")
  .optional()
  .openapi({
    description:
      "The same key from the same user within 24 h answers the first run: one call, one charge",
    example: "order-1234",
  });

export const RunHeaders = z.object({ "idempotency-key": IdempotencyKey });
