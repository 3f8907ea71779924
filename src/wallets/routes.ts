// /v1/wallet: the signed-in user's balances, ledger, top-ups, auto-recharge and low-balance alerts.
import { createRoute } from "@hono/zod-openapi";
import { requireAuth } from "../auth/middleware";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { setAutoRecharge } from "./auto-recharge";
import {
  AutoRechargeInput,
  AutoRechargeSchema,
  LowBalanceAlertInput,
  LowBalanceAlertsSchema,
  TopUpInput,
  TopUpSchema,
  TransactionList,
  TransactionQuery,
  WalletSchema,
} from "./schemas";
import { autoRechargeView, lowBalanceAlerts, transactionsOf, walletOf } from "./service";
import { createTopUp } from "./top-ups";

const tags = ["wallet"];
const security = bearerSecurity;

export const walletRoutes = newRouter();
walletRoutes.use("*", requireAuth);

walletRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "wallet.get",
    tags,
    security,
    summary: "Your balances per currency: available to spend, and held for calls in flight",
    responses: { 200: jsonContent(WalletSchema, "The wallet"), ...errorResponses(403) },
  }),
  async (c) => c.json(await walletOf(c.env, principalOf(c).userId), 200),
);

walletRoutes.openapi(
  createRoute({
    method: "get",
    path: "/transactions",
    operationId: "wallet.transactions.list",
    tags,
    security,
    summary: "Your wallet's ledger, newest first",
    request: { query: TransactionQuery },
    responses: {
      200: jsonContent(TransactionList, "A page of ledger entries"),
      ...errorResponses(400, 403),
    },
  }),
  async (c) =>
    c.json(await transactionsOf(c.env, principalOf(c).userId, c.req.valid("query")), 200),
);

walletRoutes.openapi(
  createRoute({
    method: "post",
    path: "/top-ups",
    operationId: "wallet.topUps.create",
    tags,
    security,
    summary:
      "Start a top-up through Stripe Checkout or a PayPal order; credited when the provider confirms the payment",
    request: { body: jsonBody(TopUpInput) },
    responses: {
      201: jsonContent(TopUpSchema, "Send the buyer to checkout_url"),
      ...errorResponses(400, 403, 502, 503),
    },
  }),
  async (c) =>
    c.json(await createTopUp(serviceContext(c), principalOf(c).userId, c.req.valid("json")), 201),
);

walletRoutes.openapi(
  createRoute({
    method: "get",
    path: "/auto-recharge",
    operationId: "wallet.autoRecharge.get",
    tags,
    security,
    summary: "Your auto-recharge settings, and whether a recharge is being charged",
    responses: { 200: jsonContent(AutoRechargeSchema, "The settings"), ...errorResponses(403) },
  }),
  async (c) => c.json(await autoRechargeView(c.env, principalOf(c).userId), 200),
);

walletRoutes.openapi(
  createRoute({
    method: "put",
    path: "/auto-recharge",
    operationId: "wallet.autoRecharge.update",
    tags,
    security,
    summary:
      "Charge your saved card `amount` once when a priced call leaves less than `threshold` available",
    request: { body: jsonBody(AutoRechargeInput) },
    responses: {
      200: jsonContent(AutoRechargeSchema, "The settings"),
      ...errorResponses(400, 403, 409),
    },
  }),
  async (c) =>
    c.json(
      await setAutoRecharge(serviceContext(c), principalOf(c).userId, c.req.valid("json")),
      200,
    ),
);

walletRoutes.openapi(
  createRoute({
    method: "get",
    path: "/low-balance-alert",
    operationId: "wallet.lowBalanceAlert.get",
    tags,
    security,
    summary: "Your low-balance alert thresholds, one per currency",
    responses: {
      200: jsonContent(LowBalanceAlertsSchema, "The thresholds"),
      ...errorResponses(403),
    },
  }),
  async (c) => c.json(await lowBalanceAlerts(c.env, principalOf(c).userId), 200),
);

walletRoutes.openapi(
  createRoute({
    method: "put",
    path: "/low-balance-alert",
    operationId: "wallet.lowBalanceAlert.update",
    tags,
    security,
    summary:
      "Be notified once each time a movement takes your available balance in `currency` below `threshold` (null: stop)",
    request: { body: jsonBody(LowBalanceAlertInput) },
    responses: {
      200: jsonContent(LowBalanceAlertsSchema, "The thresholds"),
      ...errorResponses(400, 403),
    },
  }),
  async (c) =>
    c.json(await lowBalanceAlerts(c.env, principalOf(c).userId, c.req.valid("json")), 200),
);
