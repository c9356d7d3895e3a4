# rankfile in a container: a non-root user, the database and backups in the /data volume,
# and a health check that asks the bot itself (`rankfile status --check`). /site is where a
# volume for the public site goes, owned by the bot (docs/hosting.md, "The public site").
#   docker compose up -d --build      (see compose.yaml and docs/hosting.md)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/data \
    MPLCONFIGDIR=/tmp/matplotlib \
    RANKFILE_DB=/data/rankfile.db \
    RANKFILE_BACKUP_DIR=/data/backups

RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin rankfile \
    && mkdir -p /data \
    && chown rankfile:rankfile /data \
    && chmod 0700 /data \
    && mkdir -p /site \
    && chown rankfile:rankfile /site \
    && chmod 0755 /site

WORKDIR /app
# Only the code and the migrations: never a local .env or database from the build folder.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY data/migrations ./data/migrations
COPY data/demo ./data/demo
# A plain install: data/ ships inside the package as bot/data (pyproject.toml).
RUN pip install .

USER rankfile
WORKDIR /data
VOLUME ["/data"]

# Unhealthy when Discord has been silent for 5 minutes or deliveries are stuck.
HEALTHCHECK --interval=60s --timeout=30s --start-period=120s --retries=3 \
    CMD ["rankfile", "status", "--check"]

CMD ["rankfile", "run"]
