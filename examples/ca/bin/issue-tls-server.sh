#!/bin/sh
# Issues one TLS server certificate from a CSR: bin/issue-tls-server.sh req.csr > cert.pem
# Run from the folder holding vigil.toml.
set -eu
exec openssl ca -batch -notext \
  -config profiles/tls-server.cnf \
  -extensions tls_server_ext \
  -in "$1" -out /dev/stdout
