#!/usr/bin/env bash
# Run the web server and one worker (GPU routes + cpu queue + beat) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
mkdir -p var/log

# Content credentials need a signing certificate: a development CA and leaf.
if [ ! -f var/c2pa/signing-chain.pem ]; then
  $PY manage.py c2pa_dev_cert var/c2pa > /dev/null
fi
export C2PA_SIGNING_CERT_CHAIN=var/c2pa/signing-chain.pem
export C2PA_SIGNING_KEY=var/c2pa/signing-key.pem
export C2PA_TRUST_ANCHORS=var/c2pa/ca.pem

.venv/bin/celery -A config worker -Q gpu-draft,gpu-final,cpu --pool=threads --concurrency=1 \
  -B --schedule var/celerybeat-schedule -n demo-worker@%h -l info > var/log/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM

echo
echo "Imprimatur is starting at http://127.0.0.1:$PORT/  (worker log: var/log/worker.log)"
echo "Log in as cleo (creator), rui (reviewer), maya (manager) or vic (viewer);"
echo "password: imprimatur-demo. Admin: http://127.0.0.1:$PORT/admin/ as admin."
echo
IMPRIMATUR_WARM_FILTERS=1 $PY manage.py runserver "127.0.0.1:$PORT"
