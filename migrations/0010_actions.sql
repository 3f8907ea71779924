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
CREATE INDEX `actions_created_idx` ON `actions` (`created_at`,`id`);