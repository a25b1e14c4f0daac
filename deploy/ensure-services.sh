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

hard_nofile=$(ulimit -Hn)
[ "$hard_nofile" = unlimited ] && hard_nofile=65536
RABBITMQ_NOFILE=$(( hard_nofile < 65536 ? hard_nofile : 65536 ))

rabbitmq_nofile() {  # the running broker's soft limit on open files
    local pid
    pid=$(rabbitmqctl -q eval 'os:getpid().' | tr -d '"')
    awk '/^Max open files/ {print $4}' "/proc/$pid/limits"
}

broker_down() { ! rabbitmqctl -q status; }

ensure_rabbitmq() {
    command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
    # A full test run holds several hundred connections at once. Started with the usual 1,024
    # descriptors the broker allows 832 sockets and resets every connection above them, so a
    # broker started that way is restarted once with more. The package starts it through su,
    # whose PAM session sets the limits: so they go in limits.d.
    local limits=/etc/security/limits.d/rabbitmq.conf
    if is_root && ! grep -qs "nofile $RABBITMQ_NOFILE" "$limits"; then
        printf 'rabbitmq soft nofile %s\nrabbitmq hard nofile %s\n' "$RABBITMQ_NOFILE" "$RABBITMQ_NOFILE" >"$limits"
    fi
    if is_root && rabbitmqctl -q status >/dev/null 2>&1 && [ "$(rabbitmq_nofile)" -lt "$RABBITMQ_NOFILE" ]; then
        log "restarting RabbitMQ with $RABBITMQ_NOFILE file descriptors"
        rabbitmqctl -q stop
        wait_for 60 "RabbitMQ to stop" broker_down
    fi
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
ensure_deploy_tools() {  # tests/deploy: Kustomize rendering and unit verification
    command -v kubectl >/dev/null || apt_install kubernetes-client
    command -v systemd-analyze >/dev/null || apt_install systemd
}

ensure_python_venv
case "$what" in
    python) ;;
    all) ensure_postgres; ensure_rabbitmq ;;
    test) ensure_postgres; ensure_rabbitmq; ensure_netns; ensure_chromium; ensure_deploy_tools ;;
    *) log "usage: $0 [python|all|test]"; exit 2 ;;
esac
