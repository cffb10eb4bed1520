# syntax=docker/dockerfile:1
# 党建电子地图 / mapsvc — the application image (the database is a separate image:
# docker/db.Dockerfile, PostGIS + pgRouting). Build: `docker compose build`.
#
# The project is installed in editable mode from /app on purpose: mapsvc.infra.config.PROJECT_ROOT
# is the folder above the `mapsvc` package, and migrations/, alembic.ini and web/ are read
# from there at run time. With `pip install -e .` from /app, PROJECT_ROOT is /app.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    LANG=C.UTF-8

# Runs as this user; it owns nothing under /app (the code is read-only to it).
RUN groupadd --system --gid 10001 mapsvc \
 && useradd --system --uid 10001 --gid mapsvc --create-home --home-dir /home/mapsvc \
        --shell /usr/sbin/nologin mapsvc

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so code changes do not reinstall them.
# Only [project].dependencies: no dev extras.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The source tree (.dockerignore keeps .venv, var, .git, caches and test output out).
COPY . .

# Editable install: the `mapsvc` console script, with PROJECT_ROOT = /app. The check makes the
# build fail if the migration files the package looks up next to itself are missing
# (web/ is copied too; it may still be empty, so it is not checked).
RUN pip install --no-cache-dir -e . \
 && chmod -R a+rX /app \
 && python -c "from mapsvc.infra.config import PROJECT_ROOT as r; import sys; \
missing = [p for p in ('migrations/env.py', 'migrations/versions', 'alembic.ini') if not (r / p).exists()]; \
sys.exit(f'PROJECT_ROOT={r}, missing: {missing}' if str(r) != '/app' or missing else 0)" \
 && python -m compileall -q /app/mapsvc /app/geodata /app/migrations

USER mapsvc

EXPOSE 5000

# 200 while the database answers, 503 while it is down (urlopen raises on both 503 and
# connection refused, so the check fails). No curl in the slim image: python's urllib.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4)"]

# Migrations run at every start (idempotent; creates the database and the extensions
# postgis, pgrouting, ltree when missing), then the server: gunicorn when WORKERS > 1.
# `exec` so the server gets the stop signal.
CMD ["sh", "-c", "mapsvc db migrate && exec mapsvc serve --host 0.0.0.0 --port 5000 --workers \"${WORKERS:-4}\""]
