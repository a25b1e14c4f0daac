#!/usr/bin/env bash
# Make sure what Vigil needs on this machine is there and running: python3-venv, PostgreSQL,
# RabbitMQ (with the shovel and management plugins). Starts stopped services; installs missing ones from
# Debian's packages when run as root. Safe to run again and again.
set -euo pipefail

log() { echo "ensure-services: $*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }
apt_updated=0
apt_install() {
    if ! is_root; then log "missing $*; install it (apt-get install $*) or run as root"; exit 1; fi
    if [ $apt_updated = 0 ]; then apt-get update -q >/dev/null; apt_updated=1; fi
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2; shift 2
    for _ in $(seq "$seconds"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
    log "gave up waiting for $what"; exit 1
}

ensure_python_venv() {
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv python3-pip
}

ensure_postgres() {
    if ! command -v pg_ctlcluster >/dev/null; then
        apt_install postgresql
        local hba
        hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
        # A fresh cluster asks for passwords on TCP; Vigil's local defaults use trust.
        sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
        log "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
        wait_for 60 PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
    fi
}

ensure_rabbitmq() {
    command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
    if ! rabbitmqctl -q status >/dev/null 2>&1; then
        log "starting RabbitMQ"
        rabbitmq-server -detached
    fi
    wait_for 120 RabbitMQ rabbitmqctl -q await_startup
    # Shovels join remote regions; the management API gives the operator's view queue depths.
    for plugin in rabbitmq_shovel rabbitmq_management; do
        rabbitmq-plugins -q list -e "$plugin" | grep -q "$plugin" \
            || rabbitmq-plugins -q enable "$plugin" >/dev/null
    done
}

ensure_netns() {  # the region tests run a second RabbitMQ node in a network namespace
    command -v ip >/dev/null || apt_install iproute2
}

ensure_chromium() {  # only the browser tests need it
    [ -x /usr/bin/chromium ] || apt_install chromium
}

what=${1:-all}
ensure_python_venv
case "$what" in
    python) ;;
    all) ensure_postgres; ensure_rabbitmq ;;
    test) ensure_postgres; ensure_rabbitmq; ensure_netns; ensure_chromium ;;
    *) log "usage: $0 [python|all|test]"; exit 2 ;;
esac
