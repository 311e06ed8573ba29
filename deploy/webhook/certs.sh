#!/usr/bin/env bash
# The webhook's serving certificate: a CA of its own (kept only as the
# caBundle), a certificate for zke-webhook.zke-system.svc, the Secret
# zke-webhook-tls, and the caBundle written into both registrations.
# Needs openssl and kubectl (with the cluster as its current context).
set -euo pipefail
ns=zke-system svc=zke-webhook
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
  -keyout ca.key -out ca.crt -subj "/CN=zke webhook CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout tls.key -out tls.csr -subj "/CN=$svc.$ns.svc" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.%s.svc\n' "$svc" "$svc" "$ns" "$svc" "$ns" > san.ext
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
  -out tls.crt -extfile san.ext 2>/dev/null
kubectl -n "$ns" create secret tls "$svc-tls" --cert=tls.crt --key=tls.key \
  --dry-run=client -o yaml | kubectl apply -f -
bundle=$(base64 -w0 < ca.crt)
for kind in mutatingwebhookconfiguration validatingwebhookconfiguration; do
  kubectl patch "$kind" zke-policies --type=json \
    -p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$bundle\"}]"
done
echo "zke webhook: certificate for $svc.$ns.svc installed; caBundle set"
