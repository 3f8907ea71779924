import type { Job } from "../cron/jobs";

// PLACEHOLDER — the analytics helper replaces this file.
export const revenueSnapshotJob: Job = async () => ({});
