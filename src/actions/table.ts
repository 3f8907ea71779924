// The route table of enabled actions, held in the isolate so a run or a proxied call reads no D1.
//
// Loaded once per isolate (the first call that needs it waits for two reads in one D1 batch).
// Every admin write to `actions` changes `action_table_version` in the same batch, and drops
// this isolate's copy at once. Other isolates notice by comparing that one row:
//   - younger than REFRESH_AFTER: used as it is;
//   - older: still used, and the version is re-read in the background (waitUntil) — a busy
//     isolate never waits for D1;
//   - older than MAX_AGE (an isolate that was idle): the version is re-read before use.
// So no request is answered from a table that was last checked more than MAX_AGE (30 s) ago:
// a change made in one isolate is in force everywhere within 30 s, in the next request after
// REFRESH_AFTER (5 s) on a busy one, and at once where it was made. Only a changed version
// reloads the table.
import { eq } from "drizzle-orm";
import type { Db } from "../db";
import { type Action, actions, actionTableVersion } from "../db/schema";
import type { Config, Env } from "../env";
import { SECOND } from "../lib/time";
import { effectiveRateLimit, priceOf, WINDOW_MS } from "./rules";
import { openSigningSecret } from "./secrets";

export const REFRESH_AFTER = 5 * SECOND;
export const MAX_AGE = 30 * SECOND;

/** An enabled action as the run and proxy paths need it: its secret open, its window made. */
export interface ActionRoute {
  action: Action;
  secret: string;
  price: { amount: number; currency: string } | null;
  /** The action's own window in the user's RateLimiter. */
  window: { name: string; limit: number; windowMs: number };
}

export class RouteTable {
  private readonly slugs = new Map<string, ActionRoute>();
  private readonly ids = new Map<string, ActionRoute>();
  /** Proxy routes, longest prefix first, so /api/quotes/v2 wins over /api/quotes. */
  private readonly prefixes: ActionRoute[];

  constructor(readonly routes: ActionRoute[]) {
    for (const route of routes) {
      this.slugs.set(route.action.slug, route);
      this.ids.set(route.action.id, route);
    }
    this.prefixes = routes
      .filter((r) => r.action.kind === "proxy" && r.action.pathPrefix !== null)
      .sort((a, b) => (b.action.pathPrefix?.length ?? 0) - (a.action.pathPrefix?.length ?? 0));
  }

  bySlug(slug: string): ActionRoute | undefined {
    return this.slugs.get(slug);
  }

  byId(id: string): ActionRoute | undefined {
    return this.ids.get(id);
  }

  /** The proxy route a request path falls under, and the rest of the path after its prefix. */
  forPath(path: string): { route: ActionRoute; rest: string } | undefined {
    for (const route of this.prefixes) {
      const prefix = route.action.pathPrefix as string;
      if (path === prefix || path.startsWith(`${prefix}/`)) {
        return { route, rest: path.slice(prefix.length) };
      }
    }
    return undefined;
  }
}

export function routeOf(action: Action, secret: string): ActionRoute {
  const limit = effectiveRateLimit(action);
  return {
    action,
    secret,
    price: priceOf(action),
    window: { name: `action:${action.id}`, limit: limit.limit, windowMs: WINDOW_MS[limit.window] },
  };
}

interface Cached {
  table: RouteTable;
  version: string;
  checkedAt: number;
  refreshing: Promise<void> | null;
}

/** One per D1 binding (tests and the Worker each have theirs). */
const cache = new WeakMap<D1Database, Cached>();

const VERSION_ID = 1;

function versionQuery(db: Db) {
  return db
    .select({ version: actionTableVersion.version })
    .from(actionTableVersion)
    .where(eq(actionTableVersion.id, VERSION_ID));
}

async function load(db: Db, config: Config, now: number): Promise<Cached> {
  const [versions, rows] = await db.batch([
    versionQuery(db),
    db.select().from(actions).where(eq(actions.enabled, true)),
  ]);
  const routes: ActionRoute[] = [];
  for (const action of rows) {
    try {
      routes.push(
        routeOf(action, await openSigningSecret(config, action.signingSecret, action.id)),
      );
    } catch (error) {
      // Sealed under another API_KEY_SECRET: it cannot be signed for, so it is not served.
      console.error(
        JSON.stringify({
          msg: "action secret unreadable",
          action: action.slug,
          error: String(error),
        }),
      );
    }
  }
  return {
    table: new RouteTable(routes),
    version: versions[0]?.version ?? "",
    checkedAt: now,
    refreshing: null,
  };
}

async function refresh(key: D1Database, db: Db, config: Config, cached: Cached, now: number) {
  const [row] = await versionQuery(db);
  if ((row?.version ?? "") === cached.version) {
    cached.checkedAt = Math.max(cached.checkedAt, now);
    return;
  }
  const fresh = await load(db, config, now);
  // A newer copy (an admin write here) may have replaced this one meanwhile: keep that.
  if (cache.get(key) === cached) cache.set(key, fresh);
}

export interface TableContext {
  db: Db;
  env: Pick<Env, "DB">;
  config: Config;
  now: number;
}

/** A first load under way, shared by the calls that wait for it. */
const loading = new WeakMap<D1Database, Promise<Cached>>();

/**
 * The route table, as fresh as described above. `defer` runs a background refresh past the
 * response (the request's waitUntil); without it (queue consumers) a stale table is re-read.
 */
export async function routeTable(
  ctx: TableContext,
  defer?: (work: Promise<unknown>) => void,
): Promise<RouteTable> {
  const key = ctx.env.DB;
  const cached = cache.get(key);
  if (!cached) {
    let pending = loading.get(key);
    if (!pending) {
      const started: Promise<Cached> = load(ctx.db, ctx.config, ctx.now).then((loaded) => {
        // Kept unless an admin write here dropped the table while it loaded.
        if (loading.get(key) === started) {
          loading.delete(key);
          cache.set(key, loaded);
        }
        return loaded;
      });
      pending = started;
      loading.set(key, pending);
      pending.catch(() => {
        if (loading.get(key) === started) loading.delete(key);
      });
    }
    return (await pending).table;
  }
  const age = ctx.now - cached.checkedAt;
  if (age <= REFRESH_AFTER) return cached.table;
  cached.refreshing ??= refresh(key, ctx.db, ctx.config, cached, ctx.now).finally(() => {
    cached.refreshing = null;
  });
  if (age <= MAX_AGE && defer) {
    defer(cached.refreshing);
    return cached.table;
  }
  await cached.refreshing;
  return (cache.get(key) ?? cached).table;
}

/** After an admin write in this isolate: the next call loads the table anew. */
export function forgetRouteTable(env: Pick<Env, "DB">): void {
  cache.delete(env.DB);
  loading.delete(env.DB);
}

/** The statement, for the admin write's batch, that tells every isolate the table changed. */
export function bumpVersionStatement(db: Db, now: number) {
  const version = `${now.toString(36)}.${crypto.randomUUID()}`;
  return db
    .insert(actionTableVersion)
    .values({ id: VERSION_ID, version, updatedAt: now })
    .onConflictDoUpdate({ target: actionTableVersion.id, set: { version, updatedAt: now } });
}
