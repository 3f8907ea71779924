DROP INDEX `usage_hourly_updated_idx`;--> statement-breakpoint
ALTER TABLE `usage_hourly` ADD `rolled_allowed` integer;--> statement-breakpoint
ALTER TABLE `usage_hourly` ADD `rolled_denied` integer;--> statement-breakpoint
CREATE INDEX `usage_hourly_unrolled_idx` ON `usage_hourly` (`hour`) WHERE "usage_hourly"."rolled_allowed" IS NULL OR "usage_hourly"."allowed" != "usage_hourly"."rolled_allowed" OR "usage_hourly"."denied" != "usage_hourly"."rolled_denied";