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
#
# The SIP engine's call limit: the PyPI pjsua2-python wheel is compiled with PJSUA_MAX_CALLS=4,
# so one engine holds 4 concurrent calls. For more, build pjsua2 from pjproject's source with a
# larger limit (this needs the image build to reach github.com):
#   docker build --build-arg PJSUA2_SOURCE=source --build-arg PJSUA_MAX_CALLS=256 -t orbit-voice .
# and set ORBIT_SIP_MAX_CALLS to match; the engine reads the compiled limit back at start and logs
# it. This path is written but not exercised by the project's CI (no Docker engine and no route to
# github.com on the build machines).
ARG PJSUA2_SOURCE=pypi

# -- pjsua2 from PyPI: nothing to build; the wheel comes with the other dependencies.
FROM python:3.11-slim-bookworm AS pjsua2-pypi
RUN mkdir -p /wheels

# -- pjsua2 built from pjproject with a larger call limit.
FROM python:3.11-slim-bookworm AS pjsua2-source
ARG PJPROJECT_VERSION=2.15.1
ARG PJSUA_MAX_CALLS=256
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential ca-certificates curl libssl-dev swig \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir "setuptools>=68" wheel
WORKDIR /build
RUN curl -fsSL "https://github.com/pjsip/pjproject/archive/refs/tags/${PJPROJECT_VERSION}.tar.gz" \
    | tar -xz --strip-components=1
# Per call the engine uses up to two players (prompt, audio), four recorders (a recording's two
# channels and the live tap's two) and two RTP sockets; size PJSUA's static tables to match.
RUN { \
        echo '#define PJMEDIA_HAS_VIDEO 0'; \
        echo "#define PJSUA_MAX_CALLS ${PJSUA_MAX_CALLS}"; \
        echo "#define PJSUA_MAX_PLAYERS $((PJSUA_MAX_CALLS * 2 + 8))"; \
        echo "#define PJSUA_MAX_RECORDERS $((PJSUA_MAX_CALLS * 4 + 8))"; \
        echo "#define PJSUA_MAX_CONF_PORTS $((PJSUA_MAX_CALLS * 9 + 16))"; \
        echo "#define PJ_IOQUEUE_MAX_HANDLES $((PJSUA_MAX_CALLS * 4 + 64))"; \
    } > pjlib/include/pj/config_site.h \
    && ./configure --disable-shared --disable-sound --disable-video --enable-epoll \
        CFLAGS="-O2 -fPIC" CXXFLAGS="-O2 -fPIC" \
    && make dep \
    && make -j"$(nproc)" lib \
    && cd pjsip-apps/src/swig/python \
    && make \
    && python setup.py bdist_wheel -d /wheels

FROM pjsua2-${PJSUA2_SOURCE} AS pjsua2

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
# A pjsua2 wheel built from source (see the top) replaces the PyPI one.
COPY --from=pjsua2 /wheels /tmp/wheels
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && if ls /tmp/wheels/*.whl >/dev/null 2>&1; then \
        grep -v '^pjsua2-python' /tmp/requirements.txt > /tmp/requirements.src.txt \
        && mv /tmp/requirements.src.txt /tmp/requirements.txt \
        && pip install /tmp/wheels/*.whl; \
    fi \
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

EXPOSE 8000 5060/udp 5060/tcp 5061/tcp

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# `serve` applies the migrations, then starts uvicorn.
CMD ["orbit-voice", "serve", "--host", "0.0.0.0", "--port", "8000"]
