# Vedette in a container: `docker build -t vedette .`, then see docs/operations.md
# ("In a container") for `init`, the volumes and a compose file.
#
# Config, state and digests live under /vedette (VEDETTE_CONFIG=/vedette/config; the
# starter config keeps its state in ../state and its file digests in ../outbox).

FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
 && pip wheel --no-cache-dir --wheel-dir /wheels /wheels/vedette-*.whl

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /vedette --no-create-home vedette \
 && mkdir -p /vedette/config /vedette/state /vedette/outbox \
 && chown -R vedette:vedette /vedette
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels vedette && rm -rf /wheels
USER vedette
WORKDIR /vedette
ENV VEDETTE_CONFIG=/vedette/config \
    PYTHONUNBUFFERED=1
VOLUME ["/vedette/config", "/vedette/state"]
# Unhealthy when a source is failing or stale, or a delivery is stuck after its retries.
HEALTHCHECK --interval=5m --timeout=30s --start-period=2m --retries=1 CMD ["vedette", "status"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["vedette"]
CMD ["--log-format", "json", "run"]
