#!/usr/bin/env bash
# A second, independent RabbitMQ node beside the machine's own: a "remote region" for the tests,
# the `vigil bench wire` benchmark and local experiments. Needs root (it runs the node as the
# rabbitmq user, and --netns makes a network namespace).
#
#   deploy/region-node.sh start DIR [--name NODE] [--port 5673] [--mgmt-port 15673] [--netns NS]
#   deploy/region-node.sh stop DIR
#   deploy/region-node.sh link DIR up|down       (only with --netns: cut or restore the link)
#   deploy/region-node.sh ctl DIR ARGS...        (rabbitmqctl of the node, e.g. list_queues)
#
# DIR holds the node's data, logs, config and a `node.env` describing it (NODE, NETNS, HOST_IP,
# REGION_IP, PORT, MGMT_PORT) for the callers. With --netns the node lives in its own network
# namespace joined to this one by a veth pair: this side is HOST_IP, the region is REGION_IP,
# and `link DIR down` cuts the region off for real. Without it, both sides are 127.0.0.1.
set -euo pipefail

log() { echo "region-node: $*" >&2; }
die() { log "$*"; exit 1; }

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop|link DIR [options]"
shift 2

in_ns() {  # run a command in the node's namespace, if it has one
    if [ -n "${NETNS:-}" ]; then ip netns exec "$NETNS" "$@"; else "$@"; fi
}
as_rabbitmq() {  # the node and rabbitmqctl run as the rabbitmq user, with its Erlang cookie
    in_ns su rabbitmq -s /bin/sh -c "cd /var/lib/rabbitmq && HOME=/var/lib/rabbitmq $*"
}
node_env() {
    echo "RABBITMQ_NODENAME=$NODE RABBITMQ_NODE_PORT=$PORT RABBITMQ_DIST_PORT=$((PORT + 20000))" \
         "RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log" \
         "RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf" \
         "RABBITMQ_PID_FILE=$dir/node.pid ERL_EPMD_PORT=$EPMD_PORT"
}

setup_netns() {
    local n=$1
    # A /30 per namespace, derived from its name so parallel sessions do not collide.
    local sub=$(( $(printf '%s' "$n" | cksum | cut -d' ' -f1) % 250 + 1 ))
    HOST_IP=10.213.$sub.1; REGION_IP=10.213.$sub.2
    local vh="vh${sub}$(printf '%s' "$n" | cksum | cut -c1-6)" vn="vn${sub}$(printf '%s' "$n" | cksum | cut -c1-6)"
    ip netns add "$n"
    ip link add "$vh" type veth peer name "$vn"
    ip link set "$vn" netns "$n"
    ip addr add "$HOST_IP/30" dev "$vh"
    ip link set "$vh" up
    ip netns exec "$n" ip addr add "$REGION_IP/30" dev "$vn"
    ip netns exec "$n" ip link set "$vn" up
    ip netns exec "$n" ip link set lo up
    VETH=$vh
}

start() {
    NODE=vigil-region@localhost; PORT=5673; MGMT_PORT=15673; NETNS=
    while [ $# -gt 0 ]; do
        case "$1" in
            --name) NODE=$2; shift 2 ;;
            --port) PORT=$2; shift 2 ;;
            --mgmt-port) MGMT_PORT=$2; shift 2 ;;
            --netns) NETNS=$2; shift 2 ;;
            *) die "unknown option $1" ;;
        esac
    done
    [ "$(id -u)" = 0 ] || die "needs root"
    command -v rabbitmq-server >/dev/null || die "rabbitmq-server is not installed"
    HOST_IP=127.0.0.1; REGION_IP=127.0.0.1; VETH=
    # Outside a namespace the node shares the machine's epmd; inside, it gets its own.
    EPMD_PORT=4369
    if [ -n "$NETNS" ]; then setup_netns "$NETNS"; fi
    mkdir -p "$dir/mnesia" "$dir/log"
    echo "[rabbitmq_management,rabbitmq_shovel,rabbitmq_shovel_management]." > "$dir/enabled_plugins"
    cat > "$dir/rabbitmq.conf" <<EOT
listeners.tcp.default = $PORT
management.tcp.port = $MGMT_PORT
# A throw-away test node: guest may log in over the veth link.
loopback_users = none
EOT
    chown -R rabbitmq:rabbitmq "$dir"
    cat > "$dir/node.env" <<EOT
NODE=$NODE
NETNS=$NETNS
VETH=$VETH
HOST_IP=$HOST_IP
REGION_IP=$REGION_IP
PORT=$PORT
MGMT_PORT=$MGMT_PORT
EPMD_PORT=$EPMD_PORT
EOT
    log "starting $NODE (amqp $REGION_IP:$PORT, management $REGION_IP:$MGMT_PORT${NETNS:+, netns $NETNS})"
    as_rabbitmq "$(node_env) /usr/lib/rabbitmq/bin/rabbitmq-server -detached"
    for i in $(seq 120); do
        if as_rabbitmq "$(node_env) /usr/lib/rabbitmq/bin/rabbitmqctl -q -n $NODE await_startup" \
                >/dev/null 2>&1; then
            log "$NODE is up"; return 0
        fi
        # A node that died while booting (a port taken, say) is not waited for two minutes.
        if [ "$i" -ge 5 ] && ! grep -qs "RABBITMQ_NODENAME=$NODE" /proc/[0-9]*/environ; then
            die "$NODE exited while starting; see $dir/log"
        fi
        sleep 1
    done
    die "$NODE did not start; see $dir/log"
}

stop() {
    [ -f "$dir/node.env" ] || { log "nothing to stop in $dir"; return 0; }
    # shellcheck disable=SC1091
    . "$dir/node.env"
    as_rabbitmq "$(node_env) /usr/lib/rabbitmq/bin/rabbitmqctl -q -n $NODE stop" >/dev/null 2>&1 \
        || log "$NODE was not running"
    if [ -n "$NETNS" ]; then
        # epmd started inside the namespace outlives the node; end it with the namespace.
        for pid in $(ip netns pids "$NETNS" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        ip link del "$VETH" 2>/dev/null || true
        ip netns del "$NETNS" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

link() {
    # shellcheck disable=SC1091
    . "$dir/node.env"
    [ -n "$VETH" ] || die "link needs a node started with --netns"
    case "${1:-}" in
        up|down) ip link set "$VETH" "$1" ;;
        *) die "usage: $0 link DIR up|down" ;;
    esac
}

ctl() {
    # shellcheck disable=SC1091
    . "$dir/node.env"
    as_rabbitmq "$(node_env) /usr/lib/rabbitmq/bin/rabbitmqctl -q -n $NODE $*"
}

case "$cmd" in
    start) start "$@" ;;
    ctl) ctl "$@" ;;
    stop) stop ;;
    link) link "$@" ;;
    *) die "unknown command $cmd" ;;
esac
