-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "StripeMode" AS ENUM ('test', 'live');

-- CreateTable
CREATE TABLE "projects" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "owner_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "projects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stripe_configs" (
    "project_id" UUID NOT NULL,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "test_secret_key_enc" TEXT,
    "test_publishable_key" TEXT,
    "test_webhook_secret_enc" TEXT,
    "test_portal_configuration_id" TEXT,
    "test_configured_at" TIMESTAMPTZ(3),
    "live_secret_key_enc" TEXT,
    "live_publishable_key" TEXT,
    "live_webhook_secret_enc" TEXT,
    "live_portal_configuration_id" TEXT,
    "live_configured_at" TIMESTAMPTZ(3),
    "credentials_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stripe_configs_pkey" PRIMARY KEY ("project_id")
);

-- CreateTable
CREATE TABLE "stripe_customers" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "mode" "StripeMode" NOT NULL,
    "stripe_customer_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stripe_customers_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "projects_owner_id_idx" ON "projects"("owner_id");

-- CreateIndex
CREATE UNIQUE INDEX "stripe_customers_project_id_user_id_mode_key" ON "stripe_customers"("project_id", "user_id", "mode");

-- CreateIndex
CREATE UNIQUE INDEX "stripe_customers_project_id_mode_stripe_customer_id_key" ON "stripe_customers"("project_id", "mode", "stripe_customer_id");

-- AddForeignKey
ALTER TABLE "stripe_configs" ADD CONSTRAINT "stripe_configs_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stripe_customers" ADD CONSTRAINT "stripe_customers_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
