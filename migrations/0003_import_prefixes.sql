CREATE TABLE `import_prefixes` (
	`prefix` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL
);
