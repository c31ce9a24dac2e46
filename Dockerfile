# Vedette in a container: `docker build -t vedette .`, then see docs/operations.md
# ("In a container") for `init`, the volumes and a compose file.
#
# Config, state and digests live under /vedette (VEDETTE_CONFIG=/vedette/config; the
# starter config keeps its state in ../state and its file digests in ../outbox).

# Build stage: Vedette and its dependencies (all published as wheels, so no compiler)
# installed into a virtual environment that the final image copies whole.
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN python -m venv /opt/vedette \
 && /opt/vedette/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN groupadd --gid 10001 vedette \
 && useradd --uid 10001 --gid vedette --no-log-init --no-create-home --home-dir /vedette vedette \
 && mkdir -p /vedette/config /vedette/state /vedette/outbox \
 && chown -R vedette:vedette /vedette
COPY --from=build /opt/vedette /opt/vedette
USER vedette
WORKDIR /vedette
ENV PATH=/opt/vedette/bin:$PATH \
    VEDETTE_CONFIG=/vedette/config \
    PYTHONUNBUFFERED=1
VOLUME ["/vedette/config", "/vedette/state", "/vedette/outbox"]
# Unhealthy when a source is failing or stale, or a delivery is stuck after its retries.
HEALTHCHECK --interval=5m --timeout=30s --start-period=2m --retries=1 CMD ["vedette", "status"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["vedette"]
CMD ["--log-format", "json", "run"]
