// The GDPR export (art. 15 access, art. 20 portability): everything stored about the user, in
// the sections ExportSchema documents. Secrets never leave: no password, API key or token hash,
// and no email body (bodies carry sign-in and reset links).
import { and, asc, desc, eq, max } from "drizzle-orm";
import { profileOf } from "../auth/serialize";
import type { Db } from "../db";
import {
  apiKeys,
  auditLog,
  couponRedemptions,
  coupons,
  devices,
  emailOutbox,
  payments,
  plans,
  refreshTokens,
  sessions,
  subscriptions,
  usageDaily,
  usageHourly,
} from "../db/schema";
import { calendarExportQueries, exportedCalendar } from "../events/account";
import type { ServiceContext } from "../lib/context";
import { iso } from "../lib/time";
import { deviceView } from "../notifications/devices";
import { exportedNotifications, notificationExportQueries } from "../notifications/export";
import { userSubject } from "../ratelimit/client";
import type { UserExport } from "./schemas";
import { loadSelf } from "./service";

/** Every section read in one D1 batch, so the export is one consistent snapshot. */
function readAll(db: Db, userId: string) {
  const subject = userSubject(userId);
  return db.batch([
    db
      .select({ subscription: subscriptions, code: plans.code, name: plans.name })
      .from(subscriptions)
      .leftJoin(plans, eq(plans.id, subscriptions.planId))
      .where(eq(subscriptions.userId, userId))
      .orderBy(desc(subscriptions.createdAt), desc(subscriptions.id)),
    db
      .select()
      .from(payments)
      .where(eq(payments.userId, userId))
      .orderBy(desc(payments.createdAt), desc(payments.id)),
    // Named columns only: the key hash is never read.
    db
      .select({
        id: apiKeys.id,
        name: apiKeys.name,
        prefix: apiKeys.prefix,
        createdAt: apiKeys.createdAt,
        expiresAt: apiKeys.expiresAt,
        lastUsedAt: apiKeys.lastUsedAt,
        revokedAt: apiKeys.revokedAt,
      })
      .from(apiKeys)
      .where(eq(apiKeys.userId, userId))
      .orderBy(desc(apiKeys.createdAt)),
    db
      .select()
      .from(usageHourly)
      .where(eq(usageHourly.subject, subject))
      .orderBy(asc(usageHourly.hour)),
    db
      .select()
      .from(usageDaily)
      .where(eq(usageDaily.subject, subject))
      .orderBy(asc(usageDaily.day)),
    db
      .select({ redemption: couponRedemptions, code: coupons.code })
      .from(couponRedemptions)
      .leftJoin(coupons, eq(coupons.id, couponRedemptions.couponId))
      .where(eq(couponRedemptions.userId, userId))
      .orderBy(desc(couponRedemptions.createdAt)),
    // A session lasts as long as its newest refresh token; the token hashes are never read.
    db
      .select({ session: sessions, expiresAt: max(refreshTokens.expiresAt) })
      .from(sessions)
      .leftJoin(refreshTokens, eq(refreshTokens.sessionId, sessions.id))
      .where(eq(sessions.userId, userId))
      .groupBy(sessions.id)
      .orderBy(desc(sessions.createdAt)),
    // Named columns only: the body (with its links) is never read.
    db
      .select({
        id: emailOutbox.id,
        to: emailOutbox.toAddress,
        template: emailOutbox.template,
        subject: emailOutbox.subject,
        status: emailOutbox.status,
        createdAt: emailOutbox.createdAt,
        sentAt: emailOutbox.sentAt,
      })
      .from(emailOutbox)
      .where(eq(emailOutbox.userId, userId))
      .orderBy(desc(emailOutbox.createdAt)),
    db.select().from(devices).where(eq(devices.userId, userId)).orderBy(asc(devices.createdAt)),
    db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetType, "user"), eq(auditLog.targetId, userId)))
      .orderBy(desc(auditLog.createdAt)),
    ...notificationExportQueries(db, userId),
    ...calendarExportQueries(db, userId),
  ]);
}

/** Everything stored about the caller, as GET /v1/me/export answers it. */
export async function exportUser({ db, now }: ServiceContext, userId: string): Promise<UserExport> {
  const user = await loadSelf(db, userId);
  const [
    subs,
    pays,
    keys,
    hourly,
    daily,
    redemptions,
    logins,
    emails,
    userDevices,
    audit,
    notices,
    deliveries,
    calendar,
    reminded,
  ] = await readAll(db, userId);
  return {
    exported_at: iso(now),
    user: {
      ...profileOf(user),
      status: user.status,
      email_verified_at: iso(user.emailVerifiedAt),
      updated_at: iso(user.updatedAt),
    },
    settings: user.settings,
    subscriptions: subs.map(({ subscription: s, code, name }) => ({
      id: s.id,
      plan: { id: s.planId, code, name },
      interval: s.interval,
      status: s.status,
      standing: s.standing,
      provider: s.provider,
      provider_subscription_id: s.providerSubscriptionId,
      provider_customer_id: s.providerCustomerId,
      cancel_at_period_end: s.cancelAtPeriodEnd,
      cancel_reason: s.cancelReason,
      current_period_start: iso(s.currentPeriodStart),
      current_period_end: iso(s.currentPeriodEnd),
      trial_end: iso(s.trialEnd),
      canceled_at: iso(s.canceledAt),
      ended_at: iso(s.endedAt),
      scheduled_plan_id: s.scheduledPlanId,
      coupon_id: s.couponId,
      created_at: iso(s.createdAt),
      updated_at: iso(s.updatedAt),
    })),
    payments: pays.map((p) => ({
      id: p.id,
      subscription_id: p.subscriptionId,
      provider: p.provider,
      provider_payment_id: p.providerPaymentId,
      provider_invoice_id: p.providerInvoiceId,
      amount: p.amount,
      amount_refunded: p.amountRefunded,
      currency: p.currency,
      status: p.status,
      period_start: iso(p.periodStart),
      period_end: iso(p.periodEnd),
      receipt_url: p.receiptUrl,
      failure_reason: p.failureReason,
      created_at: iso(p.createdAt),
    })),
    api_keys: keys.map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      created_at: iso(k.createdAt),
      expires_at: iso(k.expiresAt),
      last_used_at: iso(k.lastUsedAt),
      revoked_at: iso(k.revokedAt),
    })),
    devices: userDevices.map(deviceView),
    usage: {
      hourly: hourly.map((h) => ({ start: iso(h.hour), allowed: h.allowed, denied: h.denied })),
      daily: daily.map((d) => ({ start: iso(d.day), allowed: d.allowed, denied: d.denied })),
    },
    coupon_redemptions: redemptions.map(({ redemption: r, code }) => ({
      id: r.id,
      coupon_id: r.couponId,
      code,
      subscription_id: r.subscriptionId,
      created_at: iso(r.createdAt),
    })),
    sessions: logins.map(({ session: s, expiresAt }) => ({
      id: s.id,
      created_at: iso(s.createdAt),
      last_used_at: iso(s.lastUsedAt),
      expires_at: iso(expiresAt),
      revoked_at: iso(s.revokedAt),
      revoked_reason: s.revokedReason,
      user_agent: s.userAgent,
      ip: s.ip,
    })),
    emails: emails.map((e) => ({
      id: e.id,
      to: e.to,
      template: e.template,
      subject: e.subject,
      status: e.status,
      created_at: iso(e.createdAt),
      sent_at: iso(e.sentAt),
    })),
    audit: audit.map((a) => ({
      id: a.id,
      action: a.action,
      data: a.data,
      created_at: iso(a.createdAt),
    })),
    notifications: exportedNotifications(notices, deliveries),
    ...exportedCalendar(calendar, reminded),
  };
}
