-- Configuration history records who changed it: a developer (with their id) or an operator (the CLI, no id).
-- CreateEnum
CREATE TYPE "ConfigActorType" AS ENUM ('developer', 'operator');
-- AlterTable
ALTER TABLE "stripe_config_changes" ADD COLUMN     "actor_type" "ConfigActorType" NOT NULL DEFAULT 'developer',
ALTER COLUMN "actor_id" DROP NOT NULL;
