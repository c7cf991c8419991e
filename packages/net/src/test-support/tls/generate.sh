#!/bin/sh
# Regenerates the loopback TLS fixture: a test CA and a server certificate it signs,
# valid for 127.0.0.1, ::1, localhost and pinned.test, for 100 years.
# Test-only keys: never trust ca.crt outside these tests.
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
  -subj "/CN=osr-host net test CA" -keyout ca.key -out ca.crt \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=osr-host net test server" -keyout server.key -out server.csr
printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:pinned.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 36500 \
  -extfile server.ext -out server.crt
rm -f ca.key ca.srl server.csr server.ext
