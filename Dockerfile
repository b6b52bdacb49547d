# Multi-stage build: dependencies are compiled in their own layer, so source edits rebuild fast.
FROM rust:1.95-slim-bookworm AS builder
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY src ./src
COPY sql ./sql
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /app/target/release/litellm-analytics /usr/local/bin/litellm-analytics
USER 10001:10001
EXPOSE 8000
ENV HOST=0.0.0.0 PORT=8000 RUST_LOG=info
ENTRYPOINT ["/usr/local/bin/litellm-analytics"]
