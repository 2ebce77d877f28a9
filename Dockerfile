# Multi-stage build: compile and fetch runtime + models in the builder, ship a slim non-root image.
#   docker build -t faceverify .
#   docker run -p 8080:8080 -v faceverify-data:/app/data -e FACEVERIFY__VAULT__KEK_FILE=/run/secrets/kek faceverify
FROM rust:1.95-slim-bookworm AS builder
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN PYTHON=python3 scripts/setup.sh && cargo build --release --locked

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home /app faceverify && mkdir -p /app/data && chown faceverify /app/data
WORKDIR /app
COPY --from=builder /src/target/release/faceverify /usr/local/bin/faceverify
COPY --from=builder /src/models /app/models
COPY --from=builder /src/.runtime/onnxruntime /app/.runtime/onnxruntime
USER faceverify
ENV FACEVERIFY__SERVER__HOST=0.0.0.0
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /readyz HTTP/1.0\r\n\r\n" >&3 && head -n1 <&3 | grep -q " 200 "'
ENTRYPOINT ["/usr/local/bin/faceverify"]
CMD ["serve"]
