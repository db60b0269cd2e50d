-- Every reconcile run that wrote (not dry runs), as it ended. A run before any complete one is a
-- first fill (a backfill): what it creates is not a repair of events the intake lost.
CREATE TABLE "reconcile_runs" (
    "id" BIGSERIAL NOT NULL,
    "started_at" TIMESTAMPTZ(6) NOT NULL,
    "finished_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "complete" BOOLEAN NOT NULL,
    "backfill" BOOLEAN NOT NULL,
    "created" INTEGER NOT NULL,
    "updated" INTEGER NOT NULL,
    "deleted" INTEGER NOT NULL,
    "failed" INTEGER NOT NULL,

    CONSTRAINT "reconcile_runs_pkey" PRIMARY KEY ("id")
);

-- A mirror that already holds users was being fed before this table existed: its next run is no first fill.
INSERT INTO "reconcile_runs" ("started_at", "complete", "backfill", "created", "updated", "deleted", "failed")
SELECT now(), true, false, 0, 0, 0, 0 WHERE EXISTS (SELECT 1 FROM "users");
