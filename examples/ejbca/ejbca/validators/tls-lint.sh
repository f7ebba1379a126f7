#!/bin/sh
# Called by EJBCA with the path of the certificate to be issued; a non-zero exit refuses issuance.
exec /usr/local/bin/zlint -includeSources cabf_br "$1"
