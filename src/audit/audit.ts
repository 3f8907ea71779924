import type { Db } from "../db";
import { auditLog } from "../db/schema";
import { newId } from "../lib/ids";

export interface AuditEntry {
  actorId: string;
  action: string;
  targetType: string;
  targetId: string;
  data: Record<string, unknown>;
}

/** The audit row for an admin action, to go in the same batch as the action itself. */
export function auditInsert(db: Db, entry: AuditEntry, now: number) {
  return db.insert(auditLog).values({ id: newId("aud"), ...entry, createdAt: now });
}
