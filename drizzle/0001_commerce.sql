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
CREATE TABLE "bookings" (
	"id" text PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"wa_id" text NOT NULL,
	"conversation_id" text NOT NULL,
	"service_id" text NOT NULL,
	"start" timestamp with time zone NOT NULL,
	"end" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"hold_expires_at" timestamp with time zone,
	"deposit_payment_id" text,
	"price" integer NOT NULL,
	"deposit" integer DEFAULT 0 NOT NULL,
	"balance" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
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
CREATE TABLE "invoice_orders" (
	"reference" text PRIMARY KEY NOT NULL,
	"wa_id" text NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"due_date" text NOT NULL,
	"description" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"payment_id" text,
	"paid_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_reminders" (
	"id" text PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_transitions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"from" text NOT NULL,
	"to" text NOT NULL,
	"refunded_amount" integer DEFAULT 0 NOT NULL,
	"source_event_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" text PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"conversation_id" text NOT NULL,
	"wa_id" text NOT NULL,
	"purpose" text NOT NULL,
	"subject_id" text,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"refunded_amount" integer DEFAULT 0 NOT NULL,
	"description" text NOT NULL,
	"items" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'created' NOT NULL,
	"provider" text NOT NULL,
	"provider_ref" text,
	"checkout_url" text,
	"token" text NOT NULL,
	"locale" text NOT NULL,
	"retry_of" text,
	"expires_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	"last_checked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"amount" integer NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"requested_by" text NOT NULL,
	"decided_by" text,
	"decision_note" text,
	"provider_ref" text,
	"idempotency_key" text NOT NULL,
	"last_error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
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
CREATE INDEX "bookings_active" ON "bookings" USING btree ("start") WHERE "bookings"."status" in ('held', 'confirmed');--> statement-breakpoint
CREATE INDEX "bookings_wa_id" ON "bookings" USING btree ("wa_id","start");--> statement-breakpoint
CREATE UNIQUE INDEX "bookings_reference" ON "bookings" USING btree ("reference");--> statement-breakpoint
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
CREATE INDEX "invoice_orders_wa_id" ON "invoice_orders" USING btree ("wa_id");--> statement-breakpoint
CREATE INDEX "invoice_orders_status" ON "invoice_orders" USING btree ("status","due_date");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_transitions_source" ON "payment_transitions" USING btree ("source_event_id");--> statement-breakpoint
CREATE INDEX "payment_transitions_payment" ON "payment_transitions" USING btree ("payment_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_token" ON "payments" USING btree ("token");--> statement-breakpoint
CREATE INDEX "payments_wa_id" ON "payments" USING btree ("wa_id","created_at");--> statement-breakpoint
CREATE INDEX "payments_open" ON "payments" USING btree ("created_at") WHERE "payments"."status" in ('created', 'pending');--> statement-breakpoint
CREATE INDEX "payments_reference" ON "payments" USING btree ("reference");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_idempotency_key" ON "refunds" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "refunds_payment" ON "refunds" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "refunds_status" ON "refunds" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "staff_replies_conversation" ON "staff_replies" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "staff_sessions_user" ON "staff_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_users_email" ON "staff_users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "outbox_due_by_priority" ON "outbox" USING btree ("priority","seq") WHERE "outbox"."status" = 'pending';