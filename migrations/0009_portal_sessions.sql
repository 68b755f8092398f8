CREATE TABLE `portal_sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`identity_id` text NOT NULL,
	`subject` text NOT NULL,
	`email` text,
	`name` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `portal_sessions_expires_idx` ON `portal_sessions` (`expires_at`);