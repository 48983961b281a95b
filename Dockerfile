# One image for every ticketbot process: `ticketbot serve` (the Slack app) and `ticketbot worker`.
# The commands are the same CLI the tests run, so what CI tests is what runs here.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Every dependency, and the build tools, come from the committed lock: exact versions, each file checked
# against its sha256 (`make lock` rewrites it). The project itself is then installed without resolving anything.
COPY requirements.lock ./
RUN python -m venv /opt/ticketbot \
    && /opt/ticketbot/bin/pip install --no-compile --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY jobs ./jobs
COPY storage ./storage
COPY integrations ./integrations
RUN /opt/ticketbot/bin/pip install --no-compile --no-deps --no-build-isolation . \
    && /opt/ticketbot/bin/python -c "import bot.cli.main, jobs.worker.rq_jobs, storage.migrate"

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="ticketbot" \
      org.opencontainers.image.description="Drupal site spec to a reviewed, ordered, linked Jira backlog, from Slack"
ENV PATH="/opt/ticketbot/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000 \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 ticketbot \
    && useradd --system --uid 10001 --gid ticketbot --home-dir /home/ticketbot --create-home ticketbot
COPY --from=build /opt/ticketbot /opt/ticketbot
USER 10001:10001
WORKDIR /home/ticketbot
EXPOSE 3000
# Liveness of `serve`: /healthz answers. Workers override this in docker-compose.yml
# with `ticketbot health --worker` (their RQ heartbeat in Redis).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["ticketbot", "health", "--serve"]
ENTRYPOINT ["ticketbot"]
CMD ["serve"]
