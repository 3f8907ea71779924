CREATE TABLE `devices` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`platform` text NOT NULL,
	`token` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_user_token_unique` ON `devices` (`user_id`,`token`);--> statement-breakpoint
CREATE INDEX `devices_token_idx` ON `devices` (`token`);--> statement-breakpoint
ALTER TABLE `users` ADD `phone` text;