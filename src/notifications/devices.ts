// A user's devices: the FCM registration tokens their push notifications go to.
import { and, asc, desc, eq, inArray, ne, notInArray } from "drizzle-orm";
import type { Db } from "../db";
import { type Device, type DevicePlatform, devices } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";

/** Past this many devices, registering one forgets the one seen longest ago. */
export const MAX_DEVICES = 20;

export function deviceView(device: Device) {
  return {
    id: device.id,
    platform: device.platform,
    token: device.token,
    created_at: iso(device.createdAt),
    last_seen_at: iso(device.lastSeenAt),
  };
}

export type DeviceView = ReturnType<typeof deviceView>;

/**
 * Registers a device token for the user. A token the user has already registered is the same
 * device (its platform and last_seen_at are refreshed; `created` is false). A token belongs to
 * the account that registered it last: the same token under another account (a phone that
 * changed hands, a logout and another login) is removed from it, so one account's notifications
 * never reach another's device. All of it in one batch.
 */
export async function registerDevice(
  { db, now }: Pick<ServiceContext, "db" | "now">,
  userId: string,
  input: { platform: DevicePlatform; token: string },
): Promise<{ device: DeviceView; created: boolean }> {
  const id = newId("dev");
  const newest = db
    .select({ id: devices.id })
    .from(devices)
    .where(eq(devices.userId, userId))
    .orderBy(desc(devices.lastSeenAt), desc(devices.id))
    .limit(MAX_DEVICES);
  const [, saved] = await db.batch([
    db.delete(devices).where(and(eq(devices.token, input.token), ne(devices.userId, userId))),
    db
      .insert(devices)
      .values({ id, userId, ...input, createdAt: now, lastSeenAt: now })
      .onConflictDoUpdate({
        target: [devices.userId, devices.token],
        set: { platform: input.platform, lastSeenAt: now },
      })
      .returning(),
    db.delete(devices).where(and(eq(devices.userId, userId), notInArray(devices.id, newest))),
  ]);
  const [device] = saved;
  if (!device) throw new Error("device upsert returned no row");
  return { device: deviceView(device), created: device.id === id };
}

export async function listDevices(db: Db, userId: string): Promise<DeviceView[]> {
  const rows = await db
    .select()
    .from(devices)
    .where(eq(devices.userId, userId))
    .orderBy(asc(devices.createdAt), asc(devices.id));
  return rows.map(deviceView);
}

/** Forgets one of the user's devices; another user's id is a 404, like one that never was. */
export async function deleteDevice(db: Db, userId: string, id: string): Promise<void> {
  const deleted = await db
    .delete(devices)
    .where(and(eq(devices.id, id), eq(devices.userId, userId)))
    .returning({ id: devices.id });
  if (deleted.length === 0) throw notFound("Device");
}

/** The tokens a push to the user goes to. */
export async function deviceTokens(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ token: devices.token })
    .from(devices)
    .where(eq(devices.userId, userId));
  return rows.map((row) => row.token);
}

/** Forgets the user's devices whose tokens FCM reported dead; answers how many went. */
export async function removeDeadTokens(
  { db }: Pick<ServiceContext, "db">,
  userId: string,
  tokens: string[],
): Promise<number> {
  if (tokens.length === 0) return 0;
  const removed = await db
    .delete(devices)
    .where(and(eq(devices.userId, userId), inArray(devices.token, tokens)))
    .returning({ id: devices.id });
  if (removed.length > 0) {
    console.log(
      JSON.stringify({ msg: "dead device tokens removed", userId, count: removed.length }),
    );
  }
  return removed.length;
}
