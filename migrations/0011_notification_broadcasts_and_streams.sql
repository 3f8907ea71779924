CREATE TABLE `notification_broadcasts` (
	`id` text PRIMARY KEY NOT NULL,
	`actor_id` text NOT NULL,
	`audience` text NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`channels` text NOT NULL,
	`recipients` integer NOT NULL,
	`cursor` text,
	`notified` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'sending' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notification_streams` (
	`user_id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `notifications_unlisted_idx` ON `notifications` (`created_at`) WHERE "notifications"."in_app" = 0;