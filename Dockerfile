# Descent Playground: a small, non-root image that works fully offline.
#   docker build -t descent-playground .
#   docker run -p 8000:8000 descent-playground
# Arguments after the image name replace the default ones: --host, --port, --workers.
# By default one worker process per core; they share their classroom rooms through a private
# redis-server on a Unix socket in the temp dir. `--workers 1` keeps rooms in memory instead,
# and DESCENT_REDIS_URL=redis://host:6379/0 shares them with other containers (compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    PORT=8000

# A fixed numeric id, so USER below needs no passwd lookup on the host.
RUN groupadd --gid 10001 app \
    && useradd --no-log-init --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app

# Debian's redis-server, for the workers' rooms: python -m app starts it as the app user, with
# no TCP port and no persistence, and stops it on exit (app/redis_server.py). Unpinned on
# purpose: it follows the base image's Debian release and its security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, read from pyproject.toml, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install --no-cache-dir -r requirements.txt

# The app runs from this folder (static/ and templates/ are package data inside app/), owned by root:
# the server only reads it.
COPY app ./app
COPY engine ./engine
# Fail the build if the app cannot start (which also makes, in /tmp, the compressed copy of the
# static files that every start reuses); compile once, since the user cannot write here.
RUN python -c "from app.main import create_app; create_app()" \
    && python -m compileall -q app engine

USER 10001:10001
EXPOSE 8000
# PORT is the port the server listens on (python -m app reads it), so the check follows it.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/healthz', timeout=2)"]
ENTRYPOINT ["python", "-m", "app"]
CMD ["--host", "0.0.0.0"]
