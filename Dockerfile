# syntax=docker/dockerfile:1
# Two images from one build: `--target runtime` serves an Agent (agent-runtime serve),
# `--target operator` runs the operator (agent-operator run). Each final stage holds only the
# Python interpreter and a virtualenv with its own extra; no compiler, no pip cache, no sources.
# The base image is named in each FROM, not through an ARG, so that Dependabot can read and
# update it.

# ---- builder: one wheel of the project --------------------------------------------------------
FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY agent_operator ./agent_operator
COPY agent_runtime ./agent_runtime
RUN python -m pip wheel --no-deps --wheel-dir /wheels .

# ---- a virtualenv per target, each with only its extra ------------------------------------------
FROM builder AS runtime-venv
RUN python -m venv /venv \
 && /venv/bin/pip install "$(ls /wheels/agent_operator-*.whl)[runtime]" \
 && /venv/bin/pip uninstall --yes pip

FROM builder AS operator-venv
RUN python -m venv /venv \
 && /venv/bin/pip install "$(ls /wheels/agent_operator-*.whl)[operator]" \
 && /venv/bin/pip uninstall --yes pip

# ---- runtime: serves one Agent on :8080 --------------------------------------------------------
FROM python:3.11-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="agent-runtime" \
      org.opencontainers.image.description="Serves one Mistral tool-calling Agent over an OpenAI/Mistral-compatible HTTP API." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/agent-operator/agent-operator" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
COPY --from=runtime-venv /venv /venv
# The same non-root uid as the chart's and the operator's security contexts.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["agent-runtime"]
CMD ["serve", "--port", "8080"]

# ---- operator: the Kopf operator ---------------------------------------------------------------
FROM python:3.11-slim AS operator
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="agent-operator" \
      org.opencontainers.image.description="Kubernetes operator that runs Mistral tool-calling agents declared as Agent resources." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/agent-operator/agent-operator" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
COPY --from=operator-venv /venv /venv
USER 65532:65532
ENTRYPOINT ["agent-operator"]
CMD ["run", "--all-namespaces", "--liveness", "http://0.0.0.0:8080/healthz"]
