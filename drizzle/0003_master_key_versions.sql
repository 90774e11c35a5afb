CREATE TABLE "master_key_versions" (
	"version" integer PRIMARY KEY NOT NULL,
	"emptied_at" timestamp with time zone,
	"retired_at" timestamp with time zone
);
