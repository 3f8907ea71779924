ALTER TABLE `email_outbox` ADD `last_attempt_at` integer;--> statement-breakpoint
ALTER TABLE `email_outbox` ADD `locked_until` integer;