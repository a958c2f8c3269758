# syntax=docker/dockerfile:1
# meshcanary: a static controller binary on distroless, run as non-root.
#   docker build --build-arg VERSION=v0.1.0 -t ghcr.io/meshcanary/meshcanary:v0.1.0 .

FROM --platform=$BUILDPLATFORM golang:1.26.8 AS build
WORKDIR /src
# Dependencies first, so that a source change reuses the module cache layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY cmd/ cmd/
COPY internal/ internal/
COPY pkg/ pkg/
ARG VERSION=dev
ARG TARGETOS=linux
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X github.com/meshcanary/meshcanary/internal/version.Version=${VERSION}" \
      -o /out/meshcanary ./cmd/meshcanary

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/meshcanary /meshcanary
# 65532 is distroless' nonroot user; the Helm chart runs it with the same UID.
USER 65532:65532
ENTRYPOINT ["/meshcanary"]
CMD ["controller"]
