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
CREATE INDEX `wallet_ledger_reference_idx` ON `wallet_ledger` (`reference`);