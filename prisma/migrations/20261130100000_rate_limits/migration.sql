-- Rate limits kept in Postgres, so that every instance counts against the same budget.
-- CreateTable
CREATE TABLE "rate_limits" (
    "key" TEXT NOT NULL,
    "tat" TIMESTAMPTZ(6) NOT NULL,
    "step_ms" DOUBLE PRECISION NOT NULL,
    "period_ms" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("key")
);
