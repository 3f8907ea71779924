// The drizzle schema, one file per domain. All times are integer epoch milliseconds (UTC); all
// ids are prefixed random strings. drizzle needs the tables as one object (src/db/index.ts) and
// drizzle-kit reads this folder to write migrations/, so this is the one module that re-exports:
// everything else imports "../db/schema".
export * from "./analytics";
export * from "./audit";
export * from "./auth";
export * from "./billing";
export * from "./devices";
export * from "./email";
export * from "./events";
export * from "./jobs";
export * from "./notifications";
export * from "./payments";
export * from "./plans";
export * from "./usage";
export * from "./users";
export * from "./webhooks";
