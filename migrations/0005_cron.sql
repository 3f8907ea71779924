CREATE TABLE `job_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`job` text NOT NULL,
	`trigger` text NOT NULL,
	`run_at` integer NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`duration_ms` integer,
	`status` text NOT NULL,
	`counts` text DEFAULT '{}' NOT NULL,
	`error` text,
	`cursor` text
);
--> statement-breakpoint
CREATE INDEX `job_runs_job_idx` ON `job_runs` (`job`,`started_at`);--> statement-breakpoint
CREATE TABLE `revenue_daily` (
	`day` integer NOT NULL,
	`currency` text NOT NULL,
	`mrr` integer NOT NULL,
	`arr` integer NOT NULL,
	`paying_subscribers` integer NOT NULL,
	`trials` integer NOT NULL,
	`subscribers_by_plan` text NOT NULL,
	`new_mrr` integer NOT NULL,
	`expansion_mrr` integer NOT NULL,
	`contraction_mrr` integer NOT NULL,
	`churned_mrr` integer NOT NULL,
	`reactivation_mrr` integer NOT NULL,
	`new_subscribers` integer NOT NULL,
	`churned_subscribers` integer NOT NULL,
	`signups` integer NOT NULL,
	`active_users` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`day`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `subscriber_mrr` (
	`user_id` text NOT NULL,
	`currency` text NOT NULL,
	`mrr` integer NOT NULL,
	`plan_id` text,
	`ever_paid` integer DEFAULT true NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `usage_daily` (
	`subject` text NOT NULL,
	`day` integer NOT NULL,
	`allowed` integer NOT NULL,
	`denied` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`subject`, `day`)
);
--> statement-breakpoint
CREATE INDEX `usage_daily_day_idx` ON `usage_daily` (`day`);--> statement-breakpoint
CREATE TABLE `usage_daily_totals` (
	`day` integer PRIMARY KEY NOT NULL,
	`allowed` integer NOT NULL,
	`denied` integer NOT NULL,
	`active_subjects` integer NOT NULL,
	`updated_at` integer NOT NULL
);
