// Admin wallet routes, mounted in the one admin router (src/admin/router.ts).
import { createRoute } from "@hono/zod-openapi";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { adjustWallet, adminWallet, listWallets } from "./admin-service";
import {
  AdjustmentInput,
  AdminWalletList,
  AdminWalletListQuery,
  AdminWalletSchema,
  LedgerEntrySchema,
  UserIdParam,
} from "./schemas";

const tags = ["admin"];
const security = bearerSecurity;

export const adminWalletRoutes = newRouter();

adminWalletRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallets",
    operationId: "admin.wallets.list",
    tags,
    security,
    summary: "Users with a wallet and their balances (D1's copy), searchable by email or user id",
    request: { query: AdminWalletListQuery },
    responses: { 200: jsonContent(AdminWalletList, "A page of wallets"), ...errorResponses(400) },
  }),
  async (c) => c.json(await listWallets(serviceContext(c), c.req.valid("query")), 200),
);

adminWalletRoutes.openapi(
  createRoute({
    method: "get",
    path: "/users/{id}/wallet",
    operationId: "admin.users.wallet.get",
    tags,
    security,
    summary: "A user's balances, auto-recharge and recent ledger, from their object",
    request: { params: UserIdParam },
    responses: { 200: jsonContent(AdminWalletSchema, "The wallet"), ...errorResponses(404) },
  }),
  async (c) => c.json(await adminWallet(serviceContext(c), c.req.valid("param").id), 200),
);

adminWalletRoutes.openapi(
  createRoute({
    method: "post",
    path: "/users/{id}/wallet/adjustments",
    operationId: "admin.users.wallet.adjustments.create",
    tags,
    security,
    summary: "Credit or debit a user's wallet (audit-logged; never below zero)",
    request: { params: UserIdParam, body: jsonBody(AdjustmentInput) },
    responses: {
      201: jsonContent(LedgerEntrySchema, "The ledger entry"),
      ...errorResponses(400, 404, 409),
    },
  }),
  async (c) =>
    c.json(
      await adjustWallet(
        serviceContext(c),
        principalOf(c).userId,
        c.req.valid("param").id,
        c.req.valid("json"),
      ),
      201,
    ),
);
