#!/usr/bin/env bash
# Make a throw-away test PKI for Zenoh TLS / mutual TLS (NOT for production):
#   ca.pem/ca.key            the test certificate authority
#   ground.pem/ground.key    the ground station (server side, SAN localhost + 127.0.0.1)
#   onboard.pem/onboard.key  an onboard peer (client certificate for mTLS, same SANs)
#   rogue-ca.pem, rogue.pem/rogue.key  a peer signed by ANOTHER CA (must be refused)
# Usage: scripts/make_test_certs.sh OUT_DIR [DAYS]
set -euo pipefail
out="${1:?usage: make_test_certs.sh OUT_DIR [DAYS]}"
days="${2:-30}"
mkdir -p "$out"
cd "$out"

ca() {  # ca NAME CN
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
    -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() {  # leaf NAME CN CA
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days "$days" -sha256 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "AeroPatrol test CA"
leaf ground "aeropatrol-ground" ca
leaf onboard "aeropatrol-onboard" ca
ca rogue-ca "Rogue CA"
leaf rogue "rogue-peer" rogue-ca
rm -f ./*.srl
chmod 600 ./*.key
echo "test certificates written to $(pwd)"
