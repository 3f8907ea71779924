CREATE TABLE `action_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`action_id` text NOT NULL,
	`action_slug` text NOT NULL,
	`kind` text NOT NULL,
	`mode` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`price_amount` integer,
	`price_currency` text,
	`charged` integer DEFAULT false NOT NULL,
	`idempotency_key` text,
	`method` text NOT NULL,
	`path` text,
	`request_body` text,
	`request_truncated` integer DEFAULT false NOT NULL,
	`upstream_status` integer,
	`response_body` text,
	`response_truncated` integer DEFAULT false NOT NULL,
	`response_content_type` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`duration_ms` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `action_runs_user_idx` ON `action_runs` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `action_runs_created_idx` ON `action_runs` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `action_runs_open_idx` ON `action_runs` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `action_table_version` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `actions` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`kind` text NOT NULL,
	`upstream_url` text NOT NULL,
	`method` text NOT NULL,
	`path_prefix` text,
	`price_amount` integer,
	`price_currency` text,
	`cost` integer DEFAULT 1 NOT NULL,
	`timeout_ms` integer DEFAULT 10000 NOT NULL,
	`mode` text DEFAULT 'sync' NOT NULL,
	`rate_limit` integer,
	`rate_window` text,
	`required_feature` text,
	`enabled` integer DEFAULT true NOT NULL,
	`signing_secret` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `actions_slug_unique` ON `actions` (`slug`);--> statement-breakpoint
CREATE UNIQUE INDEX `actions_path_prefix_unique` ON `actions` (`path_prefix`);--> statement-breakpoint
CREATE INDEX `actions_created_idx` ON `actions` (`created_at`,`id`);--> statement-breakpoint
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
CREATE INDEX `reminders_pending_idx` ON `reminders` (`remind_at`) WHERE "reminders"."status" = 'pending';--> statement-breakpoint
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
CREATE TABLE `notification_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`notification_id` text NOT NULL,
	`user_id` text NOT NULL,
	`channel` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`provider_id` text,
	`locked_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`notification_id`) REFERENCES `notifications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notification_deliveries_channel_unique` ON `notification_deliveries` (`notification_id`,`channel`);--> statement-breakpoint
CREATE INDEX `notification_deliveries_user_idx` ON `notification_deliveries` (`user_id`);--> statement-breakpoint
CREATE INDEX `notification_deliveries_queued_idx` ON `notification_deliveries` (`created_at`) WHERE "notification_deliveries"."status" = 'queued';--> statement-breakpoint
CREATE TABLE `notification_streams` (
	`user_id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`type` text NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`data` text NOT NULL,
	`in_app` integer NOT NULL,
	`dedupe_key` text,
	`read_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_dedupe_unique` ON `notifications` (`user_id`,`dedupe_key`);--> statement-breakpoint
CREATE INDEX `notifications_user_created_idx` ON `notifications` (`user_id`,`created_at`,`id`) WHERE "notifications"."in_app" = 1;--> statement-breakpoint
CREATE INDEX `notifications_user_unread_idx` ON `notifications` (`user_id`,`created_at`,`id`) WHERE "notifications"."in_app" = 1 and "notifications"."read_at" is null;--> statement-breakpoint
CREATE INDEX `notifications_unlisted_idx` ON `notifications` (`created_at`) WHERE "notifications"."in_app" = 0;--> statement-breakpoint
CREATE TABLE `wallet_balances` (
	`user_id` text NOT NULL,
	`currency` text NOT NULL,
	`available` integer NOT NULL,
	`held` integer NOT NULL,
	`seq` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `currency`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `wallet_ledger` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`available_after` integer NOT NULL,
	`held_after` integer NOT NULL,
	`reference` text NOT NULL,
	`memo` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `wallet_ledger_user_seq_idx` ON `wallet_ledger` (`user_id`,`seq`);--> statement-breakpoint
CREATE INDEX `wallet_ledger_reference_idx` ON `wallet_ledger` (`reference`);--> statement-breakpoint
CREATE TABLE `wallet_top_ups` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`provider` text NOT NULL,
	`provider_order_id` text NOT NULL,
	`provider_payment_id` text,
	`payment_id` text,
	`recharge_reference` text,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`completed_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `wallet_top_ups_order_unique` ON `wallet_top_ups` (`provider`,`provider_order_id`);--> statement-breakpoint
CREATE INDEX `wallet_top_ups_payment_idx` ON `wallet_top_ups` (`payment_id`);--> statement-breakpoint
CREATE INDEX `wallet_top_ups_user_idx` ON `wallet_top_ups` (`user_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `users` ADD `phone` text;