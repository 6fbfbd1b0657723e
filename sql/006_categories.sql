-- 006: the taxonomy in the database, defined by the operator.
--
-- Storage keys are customers/{customer}/{category}[/{entityId}][/{sub}]/...
-- and until now the tree was compiled into src/engine/storekey.c.  Here it
-- is two tables the operator manages with `cofferctl category ...`; every
-- worker reads them through a short per-worker cache
-- (src/engine/taxonomy.c, [storage] category_ttl) and still checks every
-- client string against the tree exactly as strictly as before: the CHECKs
-- below are storekey.c's own rules, so no row can name a path segment that
-- storekey.c would refuse.
--
-- Seeded with the seed's tree, in the seed's order.

CREATE TABLE categories (
    name            text PRIMARY KEY
                    CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    -- Whether a key carries an entity id after the category.  "optional"
    -- only where there are no subcategories: with both optional a key
    -- "cat/x/uuid" could be read two ways (enforced by cofferctl and
    -- re-checked by every worker, storekey_taxonomy_check()).
    entity_id       text NOT NULL DEFAULT 'none'
                    CHECK (entity_id IN ('none', 'optional', 'required')),
    -- Whether a subcategory is optional or required once the category has
    -- subcategories (with none, a subcategory is refused).
    subcategory     text NOT NULL DEFAULT 'optional'
                    CHECK (subcategory IN ('optional', 'required')),
    position        bigint GENERATED ALWAYS AS IDENTITY,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subcategories (
    category        text NOT NULL REFERENCES categories (name),
    name            text NOT NULL
                    CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    position        bigint GENERATED ALWAYS AS IDENTITY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (category, name)
);

INSERT INTO categories (name, entity_id) VALUES
    ('documents', 'none'),
    ('properties', 'required'),
    ('tenants', 'required'),
    ('projects', 'required'),
    ('avatars', 'none');

INSERT INTO subcategories (category, name) VALUES
    ('documents', 'leases'), ('documents', 'contracts'),
    ('documents', 'invoices'), ('documents', 'receipts'),
    ('properties', 'photos'), ('properties', 'floor-plans'),
    ('properties', 'inspection-reports'),
    ('tenants', 'id-documents'), ('tenants', 'payment-receipts'),
    ('tenants', 'applications'),
    ('projects', 'blueprints'), ('projects', 'progress-photos'),
    ('projects', 'vendor-invoices'), ('projects', 'permits');

-- No index on files (category): "does a category hold files?" (cofferctl
-- category remove) is a rare operator's question that may scan, and every
-- upload would pay for the index.
