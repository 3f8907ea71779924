import type { User } from "../db/schema";
import { iso } from "../lib/time";

/** The user as every auth and profile answer shows it. */
export function publicUser(user: User) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    email_verified: user.emailVerifiedAt !== null,
    created_at: iso(user.createdAt),
  };
}

export function profileOf(user: User) {
  return { ...publicUser(user), locale: user.locale, timezone: user.timezone, phone: user.phone };
}
