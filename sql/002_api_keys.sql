-- 002: API keys, for servers and scripts that cannot hold a short-lived JWT.
--
-- A key is "cof_" + 43 base64url characters (256 random bits), shown once
-- by `cofferctl apikey create`. Only its SHA-256 is kept: a fast hash is
-- enough for a secret of that entropy (see src/apikey.c), and a leaked
-- table lets nobody authenticate.

CREATE TABLE api_keys (
    customer_id     uuid NOT NULL REFERENCES customers (customer_id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- No platform keys: the operator's credentials are short-lived JWTs,
    -- never a standing secret that works for every customer.
    role            text NOT NULL CHECK (role IN ('member', 'admin')),
    key_hash        text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    -- "cof_" and the first 6 characters, so people can tell keys apart.
    key_prefix      text NOT NULL CHECK (key_prefix ~ '^cof_[A-Za-z0-9_-]{6}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Kept to the minute: /auth writes it at most once a minute per key.
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    PRIMARY KEY (customer_id, id)
);

-- /auth finds a key by its hash alone: the presented key names no
-- customer. (Distributed by customer_id, this lookup would move to a
-- small reference table key_hash -> customer_id.)
CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (key_hash);
