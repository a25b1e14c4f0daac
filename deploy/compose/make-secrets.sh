#!/usr/bin/env bash
# Writes the secret files compose.yaml (or, with `region`, region.yaml) reads, with random
# passwords. Never overwrites a file that exists. The folder is its owner's alone; the files
# are readable by all, because Compose bind-mounts each one as it is into containers whose
# users (vigil 10001, postgres and rabbitmq 999) are not the file's owner.
#   ./make-secrets.sh            a centre
#   ./make-secrets.sh region     a remote region
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p secrets
chmod 700 secrets
umask 022

put() {  # put FILE CONTENT: write once
    if [ -e "secrets/$1" ]; then echo "kept secrets/$1"; else printf '%s\n' "$2" > "secrets/$1"; echo "wrote secrets/$1"; fi
}
random() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

rabbit_user() {  # the broker's only user, as a rabbitmq.conf fragment
    put "$1" "default_user = vigil
default_pass = $2"
}

if [ "${1:-}" = region ]; then
    pass=$(random)
    rabbit_user region-rabbitmq-user.conf "$pass"
    put region-amqp-url "amqp://vigil:$pass@rabbitmq:5672/"
    exit 0
fi

pg=$(random); mq=$(random)
put postgres-password "$pg"
put database-url "postgresql://vigil:$pg@postgres:5432/vigil_a"
rabbit_user rabbitmq-user.conf "$mq"
put amqp-url "amqp://vigil:$mq@rabbitmq:5672/"
put rabbitmq-management-url "http://vigil:$mq@rabbitmq:15672"
put secret-key "$(random)$(random)"
put smtp-url "${VIGIL_SMTP_URL:-smtp://mail.example.net:587}"
echo "edit secrets/smtp-url to name your mail relay (smtp://user:password@host:587)"
