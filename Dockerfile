# tinhso production image: slim, non-root, no compiler, no secrets inside.
# Build: docker build -t tinhso:latest .   Run the stack: docker compose -f deploy/compose.yaml up
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/tinhso && /opt/tinhso/bin/pip install --no-compile .

FROM python:3.11-slim-bookworm
# PostgreSQL client tools for `tinhso backup`/`restore` (pg_dump, pg_restore).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tinhso \
 && useradd --system --uid 10001 --gid tinhso --home-dir /var/lib/tinhso --create-home tinhso
COPY --from=build /opt/tinhso /opt/tinhso
ENV PATH=/opt/tinhso/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TINHSO_PRODUCTION=true \
    TINHSO_VAR_DIR=/var/lib/tinhso \
    TINHSO_LOG_FORMAT=json
USER tinhso:tinhso
WORKDIR /var/lib/tinhso
VOLUME ["/var/lib/tinhso"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["tinhso"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
