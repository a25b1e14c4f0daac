# One image for every Vigil component: `docker run IMAGE api`, `... executor --region eu-west`.
# Build: docker build -t vigil:0.1.0 .    (deploy/compose and deploy/kubernetes use this tag)

# Build stage: a virtual environment with Vigil and its compiled message catalogues. Every
# dependency ships manylinux wheels, so no compiler is needed even here.
FROM python:3.12.8-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/vigil
COPY pyproject.toml README.md alembic.ini ./
COPY shared/ shared/
COPY scheduler/ scheduler/
COPY executor/ executor/
COPY result_processor/ result_processor/
COPY api/ api/
COPY frontend/ frontend/
COPY notifier/ notifier/
COPY ops/ ops/
COPY ascode/ ascode/
COPY benchmark/ benchmark/
# The .mo files are not in git: compile them before the install copies the package data.
RUN /opt/vigil/bin/pip install . \
    && /opt/vigil/bin/pybabel compile -d frontend/translations \
    && /opt/vigil/bin/pip install --no-deps --force-reinstall . \
    && /opt/vigil/bin/pip uninstall --yes pip setuptools

# Final stage: the same slim base, the venv alone, a user without a login or a home to write.
FROM python:3.12.8-slim-bookworm
LABEL org.opencontainers.image.title="Vigil" \
      org.opencontainers.image.description="Self-hosted, multi-region uptime monitoring" \
      org.opencontainers.image.version="0.1.0"
RUN groupadd --system --gid 10001 vigil \
    && useradd --system --uid 10001 --gid vigil --home-dir /var/lib/vigil --shell /usr/sbin/nologin vigil \
    && mkdir -p /var/lib/vigil \
    && chown vigil:vigil /var/lib/vigil
COPY --from=build /opt/vigil /opt/vigil
ENV PATH=/opt/vigil/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VIGIL_STATE_DIR=/var/lib/vigil \
    VIGIL_LOG_FORMAT=json
WORKDIR /var/lib/vigil
VOLUME ["/var/lib/vigil"]
USER 10001:10001
ENTRYPOINT ["vigil"]
CMD ["--help"]
