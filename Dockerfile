# First version (Foundation issue); the "Real channels" issue completes it with the web server.
# Build:  docker build -t sunset-bot .
# Run:    docker run --rm -it -e DATABASE_URL=... sunset-bot            (bot db upgrade, then bot run)
#         docker run --rm -it -v botdata:/app/var sunset-bot bot chat  (console on SQLite)

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY db ./db
RUN pip install .
COPY locales ./locales
RUN pybabel compile -d locales -D messages

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 bot
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/locales ./locales
RUN mkdir -p /app/var && chown bot:bot /app/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LOCALES_DIR=/app/locales \
    DATABASE_URL=sqlite:////app/var/bot.db
USER bot
VOLUME ["/app/var"]
CMD ["sh", "-c", "bot db upgrade && exec bot run"]
