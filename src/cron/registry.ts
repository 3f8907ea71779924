import { actionRunSweep } from "../actions/sweep";
import { revenueSnapshotJob } from "../analytics/snapshot";
import { dueSweepJob } from "../events/sweep";
import type { Job } from "../lib/jobs";
import { notificationSweep } from "../notifications/sweep";
import { dunningJob } from "./dunning";
import { emailOutboxSweep, redactDeliveredEmails, tokenCleanup, webhookEventSweep } from "./jobs";
import { renewalsJob } from "./renewals";
import { retentionJob } from "./retention";
import { usageRollupJob } from "./rollups";

/** Every job by name: what cron runs and what an admin can run on demand. */
export const JOBS = {
  "email-outbox-sweep": emailOutboxSweep,
  "webhook-event-sweep": webhookEventSweep,
  "notification-sweep": notificationSweep,
  "token-cleanup": tokenCleanup,
  "email-redaction": redactDeliveredEmails,
  renewals: renewalsJob,
  dunning: dunningJob,
  "usage-rollup": usageRollupJob,
  retention: retentionJob,
  "revenue-snapshot": revenueSnapshotJob,
  "action-run-sweep": actionRunSweep,
  "due-sweep": dueSweepJob,
} satisfies Record<string, Job>;

export type JobName = keyof typeof JOBS;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** Which jobs each cron expression in wrangler.toml runs, in order. */
export const SCHEDULE: Record<string, JobName[]> = {
  "*/10 * * * *": [
    "email-outbox-sweep",
    "webhook-event-sweep",
    "notification-sweep",
    "due-sweep",
    "renewals",
    "action-run-sweep",
  ],
  "5 * * * *": ["token-cleanup", "email-redaction", "dunning", "usage-rollup"],
  "20 0 * * *": ["usage-rollup", "revenue-snapshot", "retention"],
};
