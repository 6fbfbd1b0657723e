-- 004: the effective limit as an expression PostgreSQL can inline.
--
-- 001's coffer_effective_limit(customers) looks the plan up in a
-- sub-SELECT, and a SQL function with a sub-SELECT is never inlined: each
-- statement that called it ran the SQL-function executor (parse, plan,
-- execute the body), about 7 % of all CPU time in a 64 KiB upload
-- benchmark.  This form takes the plan's limit from the caller (a join, or
-- a sub-SELECT where the caller updates the customer) and is inlined into
-- the caller's plan.  The one-argument form stays, for operators' queries,
-- defined through this one so the rule lives in one place.

CREATE FUNCTION coffer_effective_limit(c customers, plan_limit bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN c.limit_override_unlimited THEN NULL
                ELSE coalesce(c.limit_override, plan_limit) END
$$;

CREATE OR REPLACE FUNCTION coffer_effective_limit(c customers) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coffer_effective_limit(c, (SELECT p.storage_limit FROM plans p WHERE p.name = c.plan))
$$;
