# One image for the web service and the grading workers.
#   docker build -t gradelab .
#   embedded:    docker run -p 8000:8000 -v gradelab-data:/data --security-opt seccomp=deploy/seccomp-worker.json gradelab
#   distributed: see docker-compose.yml (profile "distributed")
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRADELAB_DATA_DIR=/data \
    GRADELAB_DATABASE_URL=sqlite:////data/gradelab.db

# bubblewrap runs every piece of problem and student code; libseccomp builds the per-job filter.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap libseccomp2 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin gradelab \
 && install -d -m 0700 -o gradelab -g gradelab /data \
 && mkdir -p /app

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY grader ./grader
COPY reference ./reference
COPY scripts ./scripts
COPY deploy ./deploy
# Editable, so the built-in pack under /app/reference is found next to the code.
RUN pip install -e . && python -c "import app.main, grader.cli"

USER gradelab
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=8)"]

# The embedded mode: migrate, serve with grading slots in-process. No demo accounts unless
# GRADELAB_DEMO=true (then their passwords and tokens are printed into the container's log).
# Create real accounts with `docker exec ... python -m app create-user NAME --admin --password ...`.
CMD ["sh", "-c", "python -m app migrate && python -m app demo --when-enabled && exec python -m app serve --host 0.0.0.0 --port 8000"]
