# syntax=docker/dockerfile:1
# The watch daemon's image: latticectl, the pulumi CLI and the aws provider plugin at the
# versions the Python SDKs ask for, run as a non-root user. It cannot be built on the
# project's machines (no Docker engine, no get.pulumi.com); tests/deploy lints it.
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim AS build
# The CLI is newer than SDK 3.272.0 where the SDK's own release is not served (tools/engines.py).
ARG PULUMI_VERSION=3.274.1
ARG PULUMI_AWS_VERSION=7.51.1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL "https://get.pulumi.com/releases/sdk/pulumi-v${PULUMI_VERSION}-linux-x64.tar.gz" | tar -xz -C /opt
WORKDIR /src
COPY pyproject.toml README.md ./
COPY components components
COPY lattice_program lattice_program
COPY cli cli
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .
# Preinstalled, so the daemon never downloads a plugin at run time; the pod copies this
# home into a writable volume (the root filesystem is read-only).
RUN PULUMI_HOME=/opt/pulumi-home /opt/pulumi/pulumi plugin install resource aws "v${PULUMI_AWS_VERSION}"

FROM python:${PYTHON_VERSION}-slim
RUN useradd --uid 10001 --create-home lattice
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/pulumi /opt/pulumi
COPY --from=build /opt/pulumi-home /opt/pulumi-home
COPY Pulumi.yaml __main__.py /app/
COPY stacks /app/stacks
ENV PATH=/opt/venv/bin:/opt/pulumi:$PATH \
    PULUMI_HOME=/home/lattice/.pulumi \
    PULUMI_SKIP_UPDATE_CHECK=true \
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    PYTHONDONTWRITEBYTECODE=1
USER 10001
WORKDIR /app
ENTRYPOINT ["latticectl"]
CMD ["watch", "--help"]
