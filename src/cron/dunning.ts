import type { Job } from "./jobs";

// PLACEHOLDER — the renewals helper replaces this file.
export const dunningJob: Job = async () => ({});
