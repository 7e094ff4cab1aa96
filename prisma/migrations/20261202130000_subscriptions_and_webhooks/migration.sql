-- Checkout and webhooks: subscriptions and payments as Stripe last said, the service's checkout sessions, leases that
-- serialise work across processes, the webhook event log and signature-failure counters; two configuration fields.
-- CreateEnum
CREATE TYPE "CheckoutSessionStatus" AS ENUM ('open', 'complete', 'expired');

-- CreateEnum
CREATE TYPE "WebhookEventStatus" AS ENUM ('processing', 'processed', 'ignored', 'failed');

-- AlterTable
ALTER TABLE "stripe_configs" ADD COLUMN     "allowed_price_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "trial_period_days" INTEGER;

-- CreateTable
CREATE TABLE "subscriptions" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "mode" "StripeMode" NOT NULL,
    "user_id" UUID,
    "stripe_subscription_id" TEXT NOT NULL,
    "stripe_customer_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "price_id" TEXT,
    "plan_name" TEXT,
    "quantity" INTEGER NOT NULL,
    "current_period_start" TIMESTAMPTZ(3),
    "current_period_end" TIMESTAMPTZ(3),
    "cancel_at" TIMESTAMPTZ(3),
    "cancel_at_period_end" BOOLEAN NOT NULL DEFAULT false,
    "canceled_at" TIMESTAMPTZ(3),
    "trial_end" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "past_due_since" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "fetched_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payments" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "mode" "StripeMode" NOT NULL,
    "user_id" UUID,
    "subscription_id" UUID,
    "stripe_source_id" TEXT NOT NULL,
    "stripe_invoice_id" TEXT,
    "stripe_customer_id" TEXT,
    "payment_intent_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "description" TEXT,
    "refunded_amount_cents" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "fetched_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "checkout_sessions" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "mode" "StripeMode" NOT NULL,
    "user_id" UUID NOT NULL,
    "stripe_session_id" TEXT NOT NULL,
    "checkout_mode" TEXT NOT NULL,
    "status" "CheckoutSessionStatus" NOT NULL DEFAULT 'open',
    "url" TEXT,
    "idempotency_key" TEXT,
    "stripe_expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "checkout_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "leases" (
    "key" TEXT NOT NULL,
    "holder" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "leases_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "webhook_events" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "mode" "StripeMode" NOT NULL,
    "stripe_event_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "event_created_at" TIMESTAMPTZ(3) NOT NULL,
    "api_version" TEXT,
    "status" "WebhookEventStatus" NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "last_error" TEXT,
    "lease_until" TIMESTAMPTZ(3),
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_signature_failures" (
    "project_id" UUID NOT NULL,
    "mode" "StripeMode" NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "last_failure_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_signature_failures_pkey" PRIMARY KEY ("project_id","mode","hour")
);

-- CreateIndex
CREATE INDEX "subscriptions_project_id_mode_user_id_created_at_idx" ON "subscriptions"("project_id", "mode", "user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "subscriptions_project_id_created_at_id_idx" ON "subscriptions"("project_id", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "subscriptions_project_id_mode_stripe_customer_id_idx" ON "subscriptions"("project_id", "mode", "stripe_customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "subscriptions_project_id_mode_stripe_subscription_id_key" ON "subscriptions"("project_id", "mode", "stripe_subscription_id");

-- CreateIndex
CREATE INDEX "payments_project_id_mode_payment_intent_id_idx" ON "payments"("project_id", "mode", "payment_intent_id");

-- CreateIndex
CREATE INDEX "payments_project_id_mode_user_id_created_at_idx" ON "payments"("project_id", "mode", "user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "payments_project_id_created_at_id_idx" ON "payments"("project_id", "created_at" DESC, "id");

-- CreateIndex
CREATE UNIQUE INDEX "payments_project_id_mode_stripe_source_id_key" ON "payments"("project_id", "mode", "stripe_source_id");

-- CreateIndex
CREATE INDEX "checkout_sessions_project_id_mode_user_id_status_idx" ON "checkout_sessions"("project_id", "mode", "user_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "checkout_sessions_project_id_mode_stripe_session_id_key" ON "checkout_sessions"("project_id", "mode", "stripe_session_id");

-- CreateIndex
CREATE INDEX "webhook_events_project_id_received_at_idx" ON "webhook_events"("project_id", "received_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "webhook_events_project_id_mode_stripe_event_id_key" ON "webhook_events"("project_id", "mode", "stripe_event_id");

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payments" ADD CONSTRAINT "payments_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payments" ADD CONSTRAINT "payments_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "checkout_sessions" ADD CONSTRAINT "checkout_sessions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_signature_failures" ADD CONSTRAINT "webhook_signature_failures_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
