CREATE TABLE `operators` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`scopes` text NOT NULL,
	`hash` text NOT NULL,
	`start` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `operators_hash_idx` ON `operators` (`hash`);--> statement-breakpoint
-- audit_log: key_id becomes nullable (writes to operator tokens) and each row names its actor;
-- rows written before operator tokens existed were all made with ADMIN_TOKEN. No foreign key refers to it.
CREATE TABLE `__new_audit_log` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`action` text NOT NULL,
	`key_id` text,
	`actor` text NOT NULL,
	`changes` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_audit_log`("seq", "at", "action", "key_id", "actor", "changes") SELECT "seq", "at", "action", "key_id", 'admin', "changes" FROM `audit_log`;--> statement-breakpoint
DROP TABLE `audit_log`;--> statement-breakpoint
ALTER TABLE `__new_audit_log` RENAME TO `audit_log`;--> statement-breakpoint
CREATE INDEX `audit_log_key_idx` ON `audit_log` (`key_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_log_actor_idx` ON `audit_log` (`actor`,`seq`);