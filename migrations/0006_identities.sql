CREATE TABLE `identities` (
	`id` text PRIMARY KEY NOT NULL,
	`external_id` text NOT NULL,
	`name` text,
	`metadata` text NOT NULL,
	`enabled` integer NOT NULL,
	`rate_limits` text NOT NULL,
	`quota` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identities_external_id_idx` ON `identities` (`external_id`);--> statement-breakpoint
ALTER TABLE `keys` ADD `identity_id` text;--> statement-breakpoint
CREATE INDEX `keys_identity_idx` ON `keys` (`identity_id`,`id`);