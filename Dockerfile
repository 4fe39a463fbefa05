# One build stage makes the single executable (Bun from the npm registry, librdkafka from source);
# the runtime image gets that file alone and runs it as a non-root user.
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates build-essential python3 perl \
      pkg-config zlib1g-dev libzstd-dev liblz4-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN bash scripts/build-binary.sh

FROM debian:bookworm-slim
# ca-certificates: librdkafka's OpenSSL (linked in) verifies brokers against the system CA store.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/agent-events --create-home agent-events
COPY --from=build /src/dist/agent-events /usr/local/bin/agent-events
USER agent-events
WORKDIR /var/lib/agent-events
ENV DATA_DIR=/var/lib/agent-events HTTP_HOST=0.0.0.0 HTTP_PORT=8080
EXPOSE 8080
ENTRYPOINT ["agent-events"]
CMD ["--role=all"]
