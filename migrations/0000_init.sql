CREATE TABLE `key_secrets` (
	`id` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`hash` text NOT NULL,
	`start` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	FOREIGN KEY (`key_id`) REFERENCES `keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `key_secrets_hash_idx` ON `key_secrets` (`hash`);--> statement-breakpoint
CREATE INDEX `key_secrets_key_idx` ON `key_secrets` (`key_id`);--> statement-breakpoint
CREATE TABLE `keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`owner` text,
	`prefix` text NOT NULL,
	`scopes` text NOT NULL,
	`rate_limits` text NOT NULL,
	`quota` text,
	`ip_allowlist` text NOT NULL,
	`metadata` text NOT NULL,
	`enabled` integer NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`revoked_at` integer,
	`last_used_at` integer,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `keys_owner_idx` ON `keys` (`owner`,`id`);