CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_user_idx` ON `api_keys` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `usage_hourly` (
	`subject` text NOT NULL,
	`hour` integer NOT NULL,
	`allowed` integer NOT NULL,
	`denied` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`subject`, `hour`)
);
--> statement-breakpoint
CREATE INDEX `usage_hourly_hour_idx` ON `usage_hourly` (`hour`);--> statement-breakpoint
ALTER TABLE `plans` ADD `features` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
UPDATE `plans` SET `features` = json_object('max_api_keys', CASE `code` WHEN 'free' THEN 2 WHEN 'basic' THEN 5 WHEN 'pro' THEN 20 WHEN 'enterprise' THEN 100 END) WHERE `code` IN ('free', 'basic', 'pro', 'enterprise');
