-- The developer listings and figures: newest first with the id breaking ties, per project and mode (subscriptions also
-- per status) and across a developer's projects; the figures count from the (project, mode, status...) indexes alone.
-- They replace the (project_id, created_at, id) indexes, whose id ran the other way and which no query ordered by.
-- DropIndex
DROP INDEX "payments_project_id_created_at_id_idx";

-- DropIndex
DROP INDEX "subscriptions_project_id_created_at_id_idx";

-- CreateIndex
CREATE INDEX "payments_project_id_mode_created_at_id_idx" ON "payments"("project_id", "mode", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "payments_project_id_mode_status_currency_amount_cents_idx" ON "payments"("project_id", "mode", "status", "currency", "amount_cents");

-- CreateIndex
CREATE INDEX "payments_created_at_id_idx" ON "payments"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "subscriptions_project_id_mode_created_at_id_idx" ON "subscriptions"("project_id", "mode", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "subscriptions_project_id_mode_status_created_at_id_idx" ON "subscriptions"("project_id", "mode", "status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "subscriptions_created_at_id_idx" ON "subscriptions"("created_at" DESC, "id" DESC);
