-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN "previous_secret_ciphertext" TEXT,
ADD COLUMN "previous_secret_key_id" TEXT,
ADD COLUMN "previous_secret_expires_at" TIMESTAMP(3);
