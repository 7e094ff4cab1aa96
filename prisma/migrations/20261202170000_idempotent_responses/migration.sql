-- The Stripe calls and answers of end users' subscription changes made with an Idempotency-Key: a retry gets the
-- same answer, or repeats the very call (Stripe replays it) when the first attempt's outcome was lost.
-- CreateTable
CREATE TABLE "idempotent_responses" (
    "key_digest" TEXT NOT NULL,
    "project_id" UUID NOT NULL,
    "request_digest" TEXT NOT NULL,
    "stripe_call" TEXT NOT NULL,
    "response" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotent_responses_pkey" PRIMARY KEY ("key_digest")
);

-- CreateIndex
CREATE INDEX "idempotent_responses_project_id_created_at_idx" ON "idempotent_responses"("project_id", "created_at");

-- AddForeignKey
ALTER TABLE "idempotent_responses" ADD CONSTRAINT "idempotent_responses_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
