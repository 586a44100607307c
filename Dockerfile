# Build: docker build -t oretrace .   (docker-compose.yml builds it for you)
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/oretrace

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/oretrace --create-home oretrace
COPY --from=build /src/target/release/oretrace /usr/local/bin/oretrace
USER oretrace
# The signing key (oretrace-signing-key.pem) is generated here on first start unless
# ORETRACE_SIGNING_KEY_FILE names one: mount a volume so that it survives.
WORKDIR /var/lib/oretrace
ENV ORETRACE_BIND=0.0.0.0:8080 RUST_LOG=info
EXPOSE 8080
ENTRYPOINT ["oretrace"]
CMD ["serve"]
