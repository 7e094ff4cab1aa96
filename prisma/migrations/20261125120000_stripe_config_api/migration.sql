-- AlterTable
ALTER TABLE "stripe_configs" ADD COLUMN     "allowed_return_url_origins" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "id" UUID NOT NULL DEFAULT gen_random_uuid();

-- CreateTable
CREATE TABLE "stripe_config_changes" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "actor_id" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "fields" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stripe_config_changes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "stripe_config_changes_project_id_created_at_idx" ON "stripe_config_changes"("project_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "stripe_configs_id_key" ON "stripe_configs"("id");

-- AddForeignKey
ALTER TABLE "stripe_config_changes" ADD CONSTRAINT "stripe_config_changes_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
