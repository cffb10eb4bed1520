# The database image for docker-compose.yml: PostGIS plus pgRouting.
# postgis/postgis does not ship pgRouting, and mapsvc needs it (mapsvc.cluster.EXTENSIONS:
# postgis, pgrouting, ltree; ltree is in PostgreSQL's contrib, already in the image).
# The packages come from the PostgreSQL apt repository (apt.postgresql.org) that the base
# image already has configured, built for the same PostgreSQL major ($PG_MAJOR = 15).
FROM postgis/postgis:15-3.4

RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        "postgresql-${PG_MAJOR}-pgrouting" \
        "postgresql-${PG_MAJOR}-pgrouting-scripts"; \
    rm -rf /var/lib/apt/lists/*; \
    test -f "/usr/share/postgresql/${PG_MAJOR}/extension/pgrouting.control"; \
    test -f "/usr/share/postgresql/${PG_MAJOR}/extension/ltree.control"
