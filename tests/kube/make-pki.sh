#!/bin/bash
# make-pki.sh DIR - a CA, an apiserver serving certificate (127.0.0.1,
# localhost), a node client certificate (system:node:edge1), and a hub
# serving certificate, for the hub tests.
set -euo pipefail
D=$1
mkdir -p "$D"
cd "$D"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=edgebox-test-ca" 2>/dev/null
cert() {   # name subject san
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    printf '%s' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 2 \
        -extfile "$1.ext" 2>/dev/null
}
cert apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
cert node "/O=system:nodes/CN=system:node:edge1" "extendedKeyUsage=clientAuth"
cert hub "/CN=edgebox-hub" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
# a CA the apiserver's certificate does not chain to
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 -subj "/CN=other" 2>/dev/null
