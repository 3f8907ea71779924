ALTER TABLE `subscriptions` ADD `provider_schedule_id` text;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `billing_anchor_day` integer;