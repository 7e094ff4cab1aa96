-- webhook-status reads one mode's last event and its last 24 hours: the index leads with the mode, so a mode that
-- receives nothing is not found by reading through every event of the other one. The former index served no query.
-- DropIndex
DROP INDEX "webhook_events_project_id_received_at_idx";

-- CreateIndex
CREATE INDEX "webhook_events_project_id_mode_received_at_idx" ON "webhook_events"("project_id", "mode", "received_at" DESC);
