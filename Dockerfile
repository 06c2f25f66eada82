# Multi-stage image of the 2G/3G sunset assistant. See README.md, "Deploying with Docker".
#   docker compose up -d          (PostgreSQL + the bot; settings in .env)
# The container migrates the database (bot db upgrade) and then runs every configured
# channel plus the HTTP server (bot run) as a non-root user.

# --- build: install the package and compile the message catalogs -------------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY db ./db
RUN pip install .
COPY locales ./locales
RUN pybabel compile -d locales -D messages \
 && bot content check --dir /opt/venv/lib/python3.11/site-packages/bot/content

# --- runtime: only the virtual environment and the compiled catalogs ----------------------
FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 bot \
 && mkdir -p /app/var \
 && chown bot:bot /app/var
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/locales/vi/LC_MESSAGES/messages.mo /app/locales/vi/LC_MESSAGES/messages.mo
COPY --from=build /src/locales/en/LC_MESSAGES/messages.mo /app/locales/en/LC_MESSAGES/messages.mo
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LOCALES_DIR=/app/locales \
    CACHE_DIR=/app/var/cache \
    DATABASE_URL=sqlite:////app/var/bot.db \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
USER bot
VOLUME ["/app/var"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"
# `exec` makes bot run replace the shell, so the SIGTERM of `docker stop` reaches it.
CMD ["sh", "-c", "bot db upgrade && exec bot run"]
