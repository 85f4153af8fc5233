CREATE TABLE "attributions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"wa_id" text NOT NULL,
	"campaign_id" text,
	"kind" text NOT NULL,
	"ref_code" text,
	"source_id" text,
	"source_type" text,
	"source_url" text,
	"ctwa_clid" text,
	"headline" text,
	"body" text,
	"wamid" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"free_window_until" timestamp with time zone,
	"lead_queued_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "broadcast_recipients" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"broadcast_id" text NOT NULL,
	"wa_id" text NOT NULL,
	"name" text,
	"locale" text,
	"fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	"outbox_id" text,
	"queued_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "broadcasts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"campaign_id" text,
	"template_name" text NOT NULL,
	"variables" jsonb NOT NULL,
	"audience" jsonb NOT NULL,
	"frequency_cap_hours" integer NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"confirmed_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "campaign_clicks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"ref_code" text,
	"ad_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"entry_flow" text NOT NULL,
	"welcome_text" text,
	"prefill_text" text,
	"cost_amount" integer,
	"cost_currency" text,
	"archived" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "capi_events" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" text,
	"conversation_id" text NOT NULL,
	"event_name" text NOT NULL,
	"ctwa_clid" text NOT NULL,
	"value" integer,
	"currency" text,
	"status" text DEFAULT 'queued' NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "conversation_notes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"author_id" text NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "funnel_marks" (
	"conversation_id" text NOT NULL,
	"stage" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "handoff_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"type" text NOT NULL,
	"actor_id" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "handoffs" (
	"conversation_id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"assignee_id" text,
	"started_at" timestamp with time zone NOT NULL,
	"assigned_at" timestamp with time zone,
	"first_reply_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" text PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"conversation_id" text,
	"wa_id" text,
	"purpose" text NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"refunded_amount" integer DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"paid_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "staff_invites" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"created_by" text,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "staff_replies" (
	"outbox_id" text PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"staff_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "staff_sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "staff_users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"password_hash" text,
	"active" boolean DEFAULT true NOT NULL,
	"last_assigned_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "priority" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "attributions_wamid" ON "attributions" USING btree ("wamid");--> statement-breakpoint
CREATE INDEX "attributions_conversation" ON "attributions" USING btree ("conversation_id","at");--> statement-breakpoint
CREATE INDEX "attributions_campaign" ON "attributions" USING btree ("campaign_id","at");--> statement-breakpoint
CREATE INDEX "attributions_wa_id" ON "attributions" USING btree ("wa_id","at");--> statement-breakpoint
CREATE INDEX "broadcast_recipients_state" ON "broadcast_recipients" USING btree ("broadcast_id","state","id");--> statement-breakpoint
CREATE UNIQUE INDEX "broadcast_recipients_outbox" ON "broadcast_recipients" USING btree ("outbox_id");--> statement-breakpoint
CREATE INDEX "campaign_clicks_campaign" ON "campaign_clicks" USING btree ("campaign_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "campaigns_ref_code" ON "campaigns" USING btree ("ref_code");--> statement-breakpoint
CREATE INDEX "capi_events_campaign" ON "capi_events" USING btree ("campaign_id","created_at");--> statement-breakpoint
CREATE INDEX "conversation_notes_conversation" ON "conversation_notes" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "funnel_marks_key" ON "funnel_marks" USING btree ("conversation_id","stage");--> statement-breakpoint
CREATE INDEX "handoff_events_conversation" ON "handoff_events" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE INDEX "handoff_events_at" ON "handoff_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "handoffs_status" ON "handoffs" USING btree ("status","started_at");--> statement-breakpoint
CREATE INDEX "handoffs_assignee" ON "handoffs" USING btree ("assignee_id");--> statement-breakpoint
CREATE INDEX "payments_conversation" ON "payments" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "staff_replies_conversation" ON "staff_replies" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "staff_sessions_user" ON "staff_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_users_email" ON "staff_users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "outbox_due_by_priority" ON "outbox" USING btree ("priority","seq") WHERE "outbox"."status" = 'pending';