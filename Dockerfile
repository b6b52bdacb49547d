# litellm-analytics container image.
#   docker build -t litellm-analytics:0.1.0 .
#   docker run -e DATABASE_URL=postgres://... -p 8000:8000 litellm-analytics:0.1.0
# Everything is configured by environment variables (see .env.example); nothing secret is baked in.

# --- build -----------------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS builder
WORKDIR /app

# Dependencies first, in their own layer: a build of an empty crate with the real manifest and
# lock file. Source edits then rebuild only this crate. (Swagger UI assets come from the
# utoipa-swagger-ui-vendored crate: the build downloads nothing but crates.)
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

COPY src ./src
COPY sql ./sql
# touch: make sure cargo sees the real sources as newer than the placeholder build.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked

# --- run -------------------------------------------------------------------------------------
# distroless/cc: glibc, libgcc and CA certificates (for sslmode=require), no shell, no package
# manager. Kubernetes' preStop uses the native sleep action, so no shell is needed.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /app/target/release/litellm-analytics /usr/local/bin/litellm-analytics
# The image's "nonroot" user, numerically, so that runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8000
ENV HOST=0.0.0.0 \
    PORT=8000 \
    RUST_LOG=info
# Health is checked by the orchestrator (Kubernetes probes on /health/live and /health/ready);
# distroless has no curl for a Docker HEALTHCHECK.
# checkov:skip=CKV_DOCKER_2: health is probed by Kubernetes (/health/live, /health/ready); the image has no shell or curl
ENTRYPOINT ["/usr/local/bin/litellm-analytics"]
