# Descent Playground: a small, non-root image that works fully offline.
#   docker build -t descent-playground .
#   docker run -p 8000:8000 descent-playground
# Arguments after the image name replace the default ones: --host, --port, --workers.
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

# Dependencies first, read from pyproject.toml, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install --no-cache-dir -r requirements.txt

# The app runs from this folder (static/ and templates/ sit beside the code), owned by root:
# the server only reads it.
COPY app ./app
COPY engine ./engine
COPY static ./static
COPY templates ./templates
# Fail the build if the app cannot start; compile once, since the user cannot write here.
RUN python -c "from app.main import create_app; create_app()" \
    && python -m compileall -q app engine

USER 10001:10001
EXPOSE 8000
# PORT is the port the server listens on (python -m app reads it), so the check follows it.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/healthz', timeout=2)"]
ENTRYPOINT ["python", "-m", "app"]
CMD ["--host", "0.0.0.0"]
