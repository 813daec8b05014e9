#!/usr/bin/env bash
# Start the services the tests use, if they are down. On this project's machines
# they are started before a session or CI run; these are the same commands.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do up "$port" && return 0; sleep 1; done
  echo "$name did not come up on 127.0.0.1:$port" >&2
  return 1
}

if ! up 5432; then
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! up 5672; then
  echo "Starting RabbitMQ"
  rabbitmq-server -detached
fi
if ! up 6379; then
  echo "Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for 5432 PostgreSQL
wait_for 5672 RabbitMQ
wait_for 6379 Redis
