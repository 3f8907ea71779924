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
CREATE INDEX `wallet_top_ups_user_idx` ON `wallet_top_ups` (`user_id`,`created_at`);