import type { Job } from "./jobs";

// PLACEHOLDER — the rollups helper replaces this file.
export const usageRollupJob: Job = async () => ({});
export const retentionJob: Job = async () => ({});
