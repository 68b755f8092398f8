CREATE TABLE `unauthorized_rollups` (
	`route` text NOT NULL,
	`hour` integer NOT NULL,
	`requests` integer NOT NULL,
	PRIMARY KEY(`route`, `hour`)
);
--> statement-breakpoint
CREATE INDEX `unauthorized_rollups_hour_idx` ON `unauthorized_rollups` (`hour`);