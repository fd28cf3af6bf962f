-- Event-type catalog: per project, named types with an optional JSON Schema for their data and an
-- example payload; strict projects accept only catalogued types.

-- AlterTable
ALTER TABLE "projects" ADD COLUMN "strict_event_types" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable: json (not jsonb) keeps the author's key order in the schema and the example.
CREATE TABLE "event_types" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "schema" JSON,
    "example" JSON,
    "deprecated" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "event_types_pkey" PRIMARY KEY ("id")
);

-- CreateIndex: one type per name in a project; also the catalog's order (by name).
CREATE UNIQUE INDEX "event_types_project_id_name_key" ON "event_types"("project_id", "name");

-- AddForeignKey
ALTER TABLE "event_types" ADD CONSTRAINT "event_types_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
