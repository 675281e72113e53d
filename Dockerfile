# hanami-rt in a container: `docker compose up` (see docker-compose.yml) or
#   docker build -t hanami-rt . && docker run -p 11418:11418 -e HANAMI_ADMIN_PASSWORD=... hanami-rt
# All state lives in the volume /data; settings come from HANAMI_* variables (hanami-rt serve --help).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/hanami-rt
COPY . /src
RUN /opt/hanami-rt/bin/pip install /src

FROM python:3.11-slim
RUN groupadd --system --gid 10001 hanami \
    && useradd --system --uid 10001 --gid hanami --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin hanami \
    && mkdir -p /data \
    && chown hanami:hanami /data \
    && chmod 0750 /data
COPY --from=build /opt/hanami-rt /opt/hanami-rt
# NUMBA_CACHE_DIR: the installed package is read-only for the server's user, and numba must
# write its compiled kernels somewhere.
ENV PATH=/opt/hanami-rt/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    HANAMI_HOST=0.0.0.0 \
    HANAMI_PORT=11418 \
    HANAMI_DATA_DIR=/data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 11418
# Ready = database migrated, clusters restored, kernels compiled (the first start compiles).
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HANAMI_PORT', '11418') + '/readyz', timeout=4)"]
# SIGTERM makes the server persist its clusters before it exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hanami-rt"]
CMD ["serve"]
