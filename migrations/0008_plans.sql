CREATE TABLE `plans` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`rate_limits` text NOT NULL,
	`quota` text,
	`allowed_scopes` text,
	`max_keys` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `plans_name_idx` ON `plans` (`name`);--> statement-breakpoint
ALTER TABLE `identities` ADD `plan_id` text;--> statement-breakpoint
CREATE INDEX `identities_plan_idx` ON `identities` (`plan_id`,`id`);