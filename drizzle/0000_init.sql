CREATE TABLE "consent_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"wa_id" text NOT NULL,
	"action" text NOT NULL,
	"source" text NOT NULL,
	"wording" text,
	"event_id" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contacts" (
	"wa_id" text PRIMARY KEY NOT NULL,
	"name" text,
	"locale" text,
	"opted_out" boolean DEFAULT false NOT NULL,
	"consent_changed_at" timestamp with time zone,
	"consent_source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" text PRIMARY KEY NOT NULL,
	"phone_number_id" text NOT NULL,
	"wa_id" text NOT NULL,
	"mode" text DEFAULT 'bot' NOT NULL,
	"state" jsonb,
	"flow_version" integer,
	"handoff_reason" text,
	"last_inbound_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbound_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"kind" text NOT NULL,
	"external_id" text NOT NULL,
	"conversation_id" text,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processing_started_at" timestamp with time zone,
	"processed_at" timestamp with time zone,
	"processed_by" text
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"direction" text NOT NULL,
	"wamid" text,
	"outbox_id" text,
	"type" text NOT NULL,
	"content" jsonb NOT NULL,
	"status" text NOT NULL,
	"error_code" integer,
	"error_title" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"conversation_id" text,
	"recipient" text,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"error_code" integer,
	"wamid" text,
	"ambiguous" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "timers" (
	"id" text PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"name" text NOT NULL,
	"fire_at" timestamp with time zone NOT NULL,
	"payload" jsonb,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "consent_events_wa_id" ON "consent_events" USING btree ("wa_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "consent_events_event" ON "consent_events" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "conversations_wa_id" ON "conversations" USING btree ("wa_id");--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_events_external_id" ON "inbound_events" USING btree ("external_id");--> statement-breakpoint
CREATE INDEX "inbound_events_pending" ON "inbound_events" USING btree ("conversation_id","id") WHERE "inbound_events"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "inbound_events_status" ON "inbound_events" USING btree ("status","id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_wamid" ON "messages" USING btree ("wamid");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_outbox_id" ON "messages" USING btree ("outbox_id");--> statement-breakpoint
CREATE INDEX "messages_conversation" ON "messages" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE INDEX "outbox_pending" ON "outbox" USING btree ("recipient","seq") WHERE "outbox"."status" in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "outbox_due" ON "outbox" USING btree ("seq") WHERE "outbox"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_leases" ON "outbox" USING btree ("lease_until") WHERE "outbox"."status" = 'sending';--> statement-breakpoint
CREATE INDEX "timers_due" ON "timers" USING btree ("fire_at") WHERE "timers"."status" = 'scheduled';--> statement-breakpoint
CREATE INDEX "timers_conversation" ON "timers" USING btree ("conversation_id","name");