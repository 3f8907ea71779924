// tollgate's own surfaces (signing in, the account, billing, the wallet, notifications, the
// calendar, admin) as against the API it sells (/v1/ping, action runs, the proxy). The plan
// governs only the API it sells, with its windows and with its bill: so an account route counts
// in a per-user `account` window instead of the plan's four, and stays open to a suspended
// subscriber, who must still be able to sign in, see what happened and pay. One list says both.
import type { Context } from "hono";
import type { AppEnv } from "../lib/context";
import { MINUTE } from "../lib/time";
import type { ConsumeRequest } from "./messages";

/** The account routes' window: per user, ACCOUNT_LIMIT_PER_MINUTE calls a minute. */
export const ACCOUNT_WINDOW = "account";

/**
 * The roots of the account routes: a path is one when it is a root or lies under one. Their
 * anonymous routes (login, signup, the plans on offer) are limited per client IP instead; this
 * list applies to a request once it is authenticated.
 */
const ACCOUNT_ROUTES = [
  "/v1/auth",
  "/v1/me",
  "/v1/subscription",
  "/v1/billing",
  "/v1/coupons",
  "/v1/payments",
  "/v1/wallet",
  "/v1/notifications",
  "/v1/events",
  "/v1/reminders",
  "/v1/plans",
  "/v1/admin",
];

export function isAccountRoute(path: string): boolean {
  return ACCOUNT_ROUTES.some((root) => path === root || path.startsWith(`${root}/`));
}

/**
 * What an authenticated request counts, and where. A call of the sold API counts its cost in the
 * plan's windows, with what its route declared (an action run's own window and price). A call of
 * an account route counts nothing in the plan's windows (it is admitted even when they are full)
 * and its cost in the account window: 1, or its routeCost (an export's 10).
 */
export function chargeOf(
  c: Context<AppEnv>,
): Pick<ConsumeRequest, "cost" | "allowSuspended" | "admission"> {
  const cost = c.var.cost ?? 1;
  const declared = c.var.admission;
  if (declared) return { cost, admission: declared };
  if (!isAccountRoute(c.req.path)) return { cost };
  const window = {
    name: ACCOUNT_WINDOW,
    limit: c.var.config.ACCOUNT_LIMIT_PER_MINUTE,
    windowMs: MINUTE,
    cost,
  };
  return { cost: 0, allowSuspended: true, admission: { window } };
}
