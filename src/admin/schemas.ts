import { z } from "@hono/zod-openapi";
import { UserSchema } from "../auth/schemas";
import { WINDOW_NAMES } from "../db/plan-features";
import { ROLES, USER_STATUSES } from "../db/schema";
import { PageQuery } from "../lib/pagination";

export const AdminUserSchema = UserSchema.extend({
  status: z.enum(USER_STATUSES),
  locale: z.string().nullable(),
  timezone: z.string().nullable(),
  updated_at: z.iso.datetime(),
}).openapi("AdminUser");

export const UserListQuery = z.object({
  ...PageQuery,
  email: z
    .string()
    .trim()
    .min(1)
    .max(254)
    .optional()
    .openapi({ description: "Substring of the email" }),
});

export const UserListSchema = z
  .object({ data: z.array(AdminUserSchema), next_cursor: z.string().nullable() })
  .openapi("AdminUserList");

export const UserIdParam = z.object({
  id: z
    .string()
    .regex(/^usr_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const PatchUserBody = z
  .strictObject({
    role: z.enum(ROLES).optional(),
    status: z.enum(USER_STATUSES).exclude(["deleted"]).optional(),
  })
  .refine((b) => b.role !== undefined || b.status !== undefined, {
    message: "validation.at_least_one_of",
    params: { fields: "role, status" },
  })
  .openapi("AdminUpdateUserRequest");

export const AuditQuery = z.object({
  ...PageQuery,
  actor_id: z.string().max(64).optional(),
  target_id: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
});

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    actor_id: z.string(),
    action: z.string(),
    target_type: z.string(),
    target_id: z.string(),
    data: z.record(z.string(), z.unknown()),
    created_at: z.iso.datetime(),
  })
  .openapi("AuditEntry");

export const AuditListSchema = z
  .object({ data: z.array(AuditEntrySchema), next_cursor: z.string().nullable() })
  .openapi("AuditList");

export const ResetUsageBody = z
  .strictObject({
    windows: z.array(z.enum(WINDOW_NAMES)).min(1).optional(),
  })
  .openapi("ResetUsageRequest");
