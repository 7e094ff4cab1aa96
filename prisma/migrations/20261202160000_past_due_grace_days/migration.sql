-- How long a past_due subscription still entitles its user (GET .../my-subscription's is_entitled); 0 means no grace.
-- AlterTable
ALTER TABLE "stripe_configs" ADD COLUMN     "past_due_grace_days" INTEGER NOT NULL DEFAULT 0;
