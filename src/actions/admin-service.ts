// Actions as admins manage them: create (answering the signing secret once), read, change,
// rotate the secret, delete. Each write is one batch with its audit row and the route table's
// new version, and this isolate drops its copy of the table at once (table.ts).
import { eq } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import { type Db, isUniqueViolation } from "../db";
import { type Action, actions } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { keysetPage } from "../lib/pagination";
import { actionView, defaultMethod, invalidAction, shapeErrors } from "./rules";
import type { CreateActionInput, PatchActionInput } from "./schemas";
import { newSigningSecret, sealSigningSecret } from "./secrets";
import { bumpVersionStatement, forgetRouteTable } from "./table";

type Fields = Omit<Action, "id" | "signingSecret" | "createdAt" | "updatedAt">;

/** The row's columns for the fields an admin sent (only those sent). */
function columnsOf(input: PatchActionInput): Partial<Fields> {
  const out: Partial<Fields> = {};
  if (input.slug !== undefined) out.slug = input.slug;
  if (input.name !== undefined) out.name = input.name;
  if (input.description !== undefined) out.description = input.description;
  if (input.upstream_url !== undefined) out.upstreamUrl = input.upstream_url;
  if (input.method !== undefined) out.method = input.method;
  if (input.path_prefix !== undefined) out.pathPrefix = input.path_prefix;
  if (input.price !== undefined) {
    out.priceAmount = input.price?.amount ?? null;
    out.priceCurrency = input.price?.currency ?? null;
  }
  if (input.cost !== undefined) out.cost = input.cost;
  if (input.timeout_ms !== undefined) out.timeoutMs = input.timeout_ms;
  if (input.mode !== undefined) out.mode = input.mode;
  if (input.rate_limit !== undefined) {
    out.rateLimit = input.rate_limit?.limit ?? null;
    out.rateWindow = input.rate_limit?.window ?? null;
  }
  if (input.required_feature !== undefined) out.requiredFeature = input.required_feature;
  if (input.enabled !== undefined) out.enabled = input.enabled;
  return out;
}

/** The optional fields of an action an admin creates without them. */
const OMITTED = {
  description: null,
  pathPrefix: null,
  priceAmount: null,
  priceCurrency: null,
  rateLimit: null,
  rateWindow: null,
  requiredFeature: null,
} as const satisfies Partial<Fields>;

/** A slug or path prefix someone else has: 409 naming the field. */
function taken(error: unknown, fields: Partial<Fields>): never {
  if (!isUniqueViolation(error)) throw error;
  const field = String(error instanceof Error && error.cause ? error.cause : error).includes(
    "path_prefix",
  )
    ? "path_prefix"
    : "slug";
  const value = field === "slug" ? fields.slug : fields.pathPrefix;
  throw new ApiError("conflict", `Another action has the ${field} ${value}`, {
    errors: [{ path: field, message: "already taken" }],
  });
}

export async function createAction(
  ctx: ServiceContext,
  actorId: string,
  input: CreateActionInput,
): Promise<{ action: Action; secret: string }> {
  const { db, env, config, now } = ctx;
  // What the admin left out, then what they sent.
  const fields: Fields = {
    ...OMITTED,
    kind: input.kind,
    method: defaultMethod(input.kind),
    slug: input.slug,
    name: input.name,
    upstreamUrl: input.upstream_url,
    cost: input.cost,
    timeoutMs: input.timeout_ms,
    mode: input.mode,
    enabled: input.enabled,
    ...columnsOf(input),
  };
  const errors = shapeErrors(fields);
  if (errors.length > 0) throw invalidAction(errors);
  const id = newId("act");
  const secret = newSigningSecret();
  const row = {
    id,
    ...fields,
    signingSecret: await sealSigningSecret(config, secret, id),
    createdAt: now,
    updatedAt: now,
  };
  try {
    await db.batch([
      db.insert(actions).values(row),
      auditInsert(
        db,
        {
          actorId,
          action: "action.create",
          targetType: "action",
          targetId: id,
          data: { ...input },
        },
        now,
      ),
      bumpVersionStatement(db, now),
    ]);
  } catch (error) {
    taken(error, fields);
  }
  forgetRouteTable(env);
  return { action: row, secret };
}

export async function getAction(db: Db, id: string): Promise<Action> {
  const action = await db.query.actions.findFirst({ where: eq(actions.id, id) });
  if (!action) throw notFound("Action");
  return action;
}

export async function updateAction(
  ctx: ServiceContext,
  actorId: string,
  id: string,
  patch: PatchActionInput,
): Promise<Action> {
  const { db, env, now } = ctx;
  const before = await getAction(db, id);
  const changes = columnsOf(patch);
  const after: Action = { ...before, ...changes, updatedAt: now };
  const errors = shapeErrors(after);
  if (errors.length > 0) throw invalidAction(errors);
  try {
    await db.batch([
      db
        .update(actions)
        .set({ ...changes, updatedAt: now })
        .where(eq(actions.id, id)),
      auditInsert(
        db,
        {
          actorId,
          action: "action.update",
          targetType: "action",
          targetId: id,
          data: { slug: after.slug, changes: { ...patch } },
        },
        now,
      ),
      bumpVersionStatement(db, now),
    ]);
  } catch (error) {
    taken(error, changes);
  }
  forgetRouteTable(env);
  return after;
}

/** A new signing secret, answered once; the old one stops being used at once. */
export async function rotateSigningSecret(
  ctx: ServiceContext,
  actorId: string,
  id: string,
): Promise<{ action: Action; secret: string }> {
  const { db, env, config, now } = ctx;
  const before = await getAction(db, id);
  const secret = newSigningSecret();
  const sealed = await sealSigningSecret(config, secret, id);
  await db.batch([
    db.update(actions).set({ signingSecret: sealed, updatedAt: now }).where(eq(actions.id, id)),
    auditInsert(
      db,
      {
        actorId,
        action: "action.rotate_secret",
        targetType: "action",
        targetId: id,
        data: { slug: before.slug },
      },
      now,
    ),
    bumpVersionStatement(db, now),
  ]);
  forgetRouteTable(env);
  return { action: { ...before, signingSecret: sealed, updatedAt: now }, secret };
}

/** Deleted; its runs stay, naming it by id and slug. */
export async function deleteAction(ctx: ServiceContext, actorId: string, id: string) {
  const { db, env, now } = ctx;
  const before = await getAction(db, id);
  await db.batch([
    db.delete(actions).where(eq(actions.id, id)),
    auditInsert(
      db,
      {
        actorId,
        action: "action.delete",
        targetType: "action",
        targetId: id,
        data: { slug: before.slug },
      },
      now,
    ),
    bumpVersionStatement(db, now),
  ]);
  forgetRouteTable(env);
}

export async function listActions(db: Db, query: { limit: number; cursor?: string | undefined }) {
  const { items, next_cursor } = await keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select()
        .from(actions)
        .where(after)
        .orderBy(...orderBy)
        .limit(limit),
    { time: actions.createdAt, id: actions.id, timeOf: (row) => row.createdAt },
  );
  return { data: items.map(actionView), next_cursor };
}
