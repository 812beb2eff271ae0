# orbit-voice API image.
#
#   docker build -t orbit-voice .
#   docker run -p 8000:8000 -v orbit-data:/data orbit-voice          # SQLite in /data
#   docker compose up                                                  # with PostgreSQL
#
# The source tree keeps its layout under /app and the package is installed *editable*:
# orbit_voice.migrate finds alembic.ini and migrations/ at parents[2] of
# src/orbit_voice/migrate.py, i.e. /app. A regular (non-editable) install would put the
# module in site-packages and migrations would not be found.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# Audio tools the media code shells out to (text-to-speech, format conversion).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 orbit \
    && useradd --system --uid 10001 --gid orbit --home-dir /app --shell /usr/sbin/nologin orbit \
    && mkdir -p /app /data /opt/venv \
    && chown orbit:orbit /app /data /opt/venv

USER orbit
WORKDIR /app
RUN python -m venv /opt/venv && pip install --upgrade pip "setuptools>=68" wheel

# Dependencies first (read from pyproject.toml) so code changes do not reinstall them.
COPY --chown=orbit:orbit pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY --chown=orbit:orbit alembic.ini ./
COPY --chown=orbit:orbit migrations/ ./migrations/
COPY --chown=orbit:orbit src/ ./src/
RUN pip install --no-deps --no-build-isolation -e . \
    && python -c "from orbit_voice.migrate import ROOT; assert (ROOT / 'alembic.ini').is_file() and (ROOT / 'migrations').is_dir(), ROOT"

# SQLite and recordings live in the /data volume unless ORBIT_DATABASE_URL says otherwise.
# ORBIT_ENVIRONMENT defaults to development; set it to production together with
# ORBIT_SIGNING_SECRET, ORBIT_ENCRYPTION_KEY and ORBIT_SOFTPHONE_JWT_SECRET
# (see .env.example and docker-compose.yml).
ENV ORBIT_DATA_DIR=/data \
    ORBIT_DATABASE_URL=sqlite+aiosqlite:////data/orbit.db
VOLUME ["/data"]

EXPOSE 8000 5060/udp 5060/tcp

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# `serve` applies the migrations, then starts uvicorn.
CMD ["orbit-voice", "serve", "--host", "0.0.0.0", "--port", "8000"]
