CREATE TABLE `due_deliveries` (
	`dedupe_key` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`source` text NOT NULL,
	`source_id` text NOT NULL,
	`occurrence_at` integer,
	`minutes_before` integer,
	`due_at` integer NOT NULL,
	`delivered_at` integer NOT NULL,
	`notification_id` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `due_deliveries_source_idx` ON `due_deliveries` (`source_id`);--> statement-breakpoint
CREATE INDEX `due_deliveries_user_idx` ON `due_deliveries` (`user_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`category` text NOT NULL,
	`type` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer,
	`all_day` integer DEFAULT false NOT NULL,
	`timezone` text NOT NULL,
	`freq` text,
	`interval` integer,
	`count` integer,
	`until` integer,
	`remind_before_minutes` text NOT NULL,
	`channels` text,
	`series_ends_at` integer,
	`next_due_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `events_user_starts_idx` ON `events` (`user_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `events_next_due_idx` ON `events` (`next_due_at`) WHERE "events"."next_due_at" is not null;--> statement-breakpoint
CREATE TABLE `reminders` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`title` text NOT NULL,
	`body` text,
	`remind_at` integer NOT NULL,
	`channels` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`sent_at` integer,
	`canceled_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `reminders_user_remind_idx` ON `reminders` (`user_id`,`remind_at`,`id`);--> statement-breakpoint
CREATE INDEX `reminders_pending_idx` ON `reminders` (`remind_at`) WHERE "reminders"."status" = 'pending';