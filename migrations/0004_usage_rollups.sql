CREATE TABLE `usage_rollups` (
	`key_id` text NOT NULL,
	`route` text NOT NULL,
	`hour` integer NOT NULL,
	`allowed` integer NOT NULL,
	`rate_limited` integer NOT NULL,
	`quota_exceeded` integer NOT NULL,
	PRIMARY KEY(`key_id`, `route`, `hour`)
);
--> statement-breakpoint
CREATE INDEX `usage_rollups_hour_idx` ON `usage_rollups` (`hour`);