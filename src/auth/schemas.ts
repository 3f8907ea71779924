import { z } from "@hono/zod-openapi";
import { ROLES } from "../db/schema";

// Emails compare case-insensitively: they are lower-cased here, once, at the edge.
export const EmailSchema = z.email().max(254).toLowerCase().openapi({ example: "ada@example.com" });

export const PasswordSchema = z
  .string()
  .min(8)
  .max(128)
  .openapi({ example: "correct horse battery" });

export const NameSchema = z.string().trim().min(1).max(100).openapi({ example: "Ada Lovelace" });

const OpaqueTokenSchema = z.string().min(16).max(512);

export const UserSchema = z
  .object({
    id: z.string().openapi({ example: "usr_3k9v2m8d7c6x5z4q1w0e9r8t7y" }),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(ROLES),
    email_verified: z.boolean(),
    created_at: z.iso.datetime(),
  })
  .openapi("User");

export const AuthResponseSchema = z
  .object({
    user: UserSchema,
    access_token: z.string(),
    refresh_token: z.string().optional().openapi({
      description: "Always present, except in cookie mode (X-Session-Cookie: 1): then a cookie",
    }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "Access token lifetime in seconds" }),
  })
  .openapi("AuthResponse");

export const SignupBody = z
  .strictObject({ email: EmailSchema, password: PasswordSchema, name: NameSchema.optional() })
  .openapi("SignupRequest");

export const LoginBody = z
  .strictObject({ email: EmailSchema, password: z.string().min(1).max(128) })
  .openapi("LoginRequest");

export const RefreshBody = z
  .strictObject({
    refresh_token: OpaqueTokenSchema.optional().openapi({
      description: "Required, except in cookie mode (X-Session-Cookie: 1), which reads the cookie",
    }),
  })
  .openapi("RefreshRequest");

export const ForgotBody = z.strictObject({ email: EmailSchema }).openapi("ForgotPasswordRequest");

export const ResetBody = z
  .strictObject({ token: OpaqueTokenSchema, password: PasswordSchema })
  .openapi("ResetPasswordRequest");

export const VerifyEmailBody = z
  .strictObject({ token: OpaqueTokenSchema })
  .openapi("VerifyEmailRequest");
