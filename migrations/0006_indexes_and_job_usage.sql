ALTER TABLE `job_runs` ADD `d1_usage` text;--> statement-breakpoint
CREATE INDEX `subscriptions_standing_idx` ON `subscriptions` (`standing`,`status`);--> statement-breakpoint
CREATE INDEX `usage_hourly_updated_idx` ON `usage_hourly` (`updated_at`);