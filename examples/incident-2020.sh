#!/usr/bin/env bash
# Replays the 2020 incident in a scratch git repository, with vigil watching.
#
# In November 2020 a CA issued two CISCO VPN server certificates valid for more than 398 days. The 398-day
# limit (CA/B Forum ballot SC31) took effect on 2020-09-01, and the CA updated its profiles in version
# control that day, but one component of the VPN profile was not under version control, so the update
# missed it and nothing noticed. This script builds the same situation and shows that vigil catches it:
# `vigil check` reports the component `untracked`, with the chain of includes that reached it, and
# `vigil approve` refuses to approve the updated profiles. It then plays the other half: had the operator
# committed and approved the file, every byte would be under control and the profile would still break the
# 398-day rule; vigil's requirements (the shipped CA/B Forum TLS pack) report that `violation` at the file
# and line that set the value. Every vigil command runs `--as-of` the day of the story.
#
# Usage: examples/incident-2020.sh          (builds vigil with cargo when needed)
#        VIGIL=/path/to/vigil examples/incident-2020.sh
# Exit status: 0 when vigil caught the incident, 1 when it did not, 2 when the replay itself failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
crate=$(cd "$here/.." && pwd)

if [ -n "${VIGIL:-}" ]; then
  vigil=$VIGIL
else
  echo "building vigil (cargo build) ..."
  (cd "$crate" && cargo build --quiet --bin vigil) || exit 2
  target=$(cd "$crate" && cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  vigil="${target:-$crate/target}/debug/vigil"
fi
[ -x "$vigil" ] || { echo "incident-2020: no vigil binary at $vigil" >&2; exit 2; }
vigil=$(cd "$(dirname "$vigil")" && pwd)/$(basename "$vigil")

scratch=$(mktemp -d "${TMPDIR:-/tmp}/vigil-incident-2020.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
ca="$scratch/ca"
mkdir -p "$ca" "$scratch/home"

# A repository that depends on nothing of this machine: no user or system git configuration, fixed names.
export HOME="$scratch/home" XDG_CONFIG_HOME="$scratch/home/.config" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Ada Approver" GIT_AUTHOR_EMAIL="ada@ca.example"
export GIT_COMMITTER_NAME="Ada Approver" GIT_COMMITTER_EMAIL="ada@ca.example"
export NO_COLOR=1 LANG=C.UTF-8
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

step=0
say() {
  step=$((step + 1))
  printf '\n=== %d. %s\n' "$step" "$*"
}
run() {
  # Shows a command as typed in the CA folder, runs it, and keeps its exit status in $rc.
  local shown=() a
  for a in "$@"; do
    [ "$a" = "$vigil" ] && a=vigil
    case $a in *[[:space:]\<\>]*) a="\"$a\"" ;; esac
    shown+=("$a")
  done
  printf '$ %s\n' "${shown[*]}"
  set +e
  (cd "$ca" && "$@") 2>&1
  rc=$?
  set -e
  echo "[exit $rc]"
}
at() {
  # Runs a command with git's clock set to a date of the story.
  GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" "${@:2}"
}
commit() {
  at "$1" git -C "$ca" commit -q -m "$2"
  git -C "$ca" log -1 --format='  committed %h %ad  %s' --date=short
}

say "2020-03-02: the CA sets up two certificate profiles, 824 days each (ballot 193: at most 825, counted inclusively)"
cat >"$ca/vigil.toml" <<'EOF'
[profiles.tls-server]
description = "TLS server certificates"
components = ["profiles/tls-server.cnf"]
follow = ["openssl-include"]
purpose = ["tls-server"]

[profiles.cisco-vpn-server]
description = "CISCO VPN server authentication"
components = ["profiles/cisco-vpn-server.cnf"]
follow = ["openssl-include"]
purpose = ["tls-server"]

[requirements]
packs = ["cabf-tls-br"]
EOF
mkdir -p "$ca/profiles" "$ca/validity" "$ca/extensions/cisco-vpn.d"
cat >"$ca/profiles/tls-server.cnf" <<'EOF'
[ ca ]
default_ca = tls_server_ca
[ tls_server_ca ]
x509_extensions = tls_server_ext
.include validity/tls-server.cnf
[ tls_server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
EOF
cat >"$ca/profiles/cisco-vpn-server.cnf" <<'EOF'
[ ca ]
default_ca = cisco_vpn_ca
[ cisco_vpn_ca ]
x509_extensions = cisco_vpn_server_ext
.include validity/cisco-vpn-server.cnf
# Site-specific settings for the VPN head-ends: every *.cnf in this folder.
.include extensions/cisco-vpn.d/
[ cisco_vpn_server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, 1.3.6.1.5.5.7.3.17
EOF
echo "default_days = 824" >"$ca/validity/tls-server.cnf"
echo "default_days = 824" >"$ca/validity/cisco-vpn-server.cnf"
printf '[ cisco_vpn_san ]\nDNS.0 = vpn.example.org\n' >"$ca/extensions/cisco-vpn.d/10-san.cnf"
git -C "$ca" init -q -b main
git -C "$ca" add -A
commit 2020-03-02T09:00:00Z "CA profiles: tls-server and cisco-vpn-server"
run "$vigil" approve tls-server cisco-vpn-server --by "Ada Approver <ada@ca.example>" --reason "initial profiles"
[ "$rc" = 0 ] || { echo "incident-2020: the initial approval failed" >&2; exit 2; }
git -C "$ca" add approved
commit 2020-03-02T09:05:00Z "Approve the initial profiles"
run "$vigil" check --as-of 2020-03-02
[ "$rc" = 0 ] || { echo "incident-2020: the approved profiles do not check clean" >&2; exit 2; }

say "2020-05-14: on the CA host, an operator drops a VPN validity setting into the included folder; it is never added to git"
cat >"$ca/extensions/cisco-vpn.d/90-validity.cnf" <<'EOF'
# Cisco head-ends: two years, so the head-ends are re-enrolled less often.
[ cisco_vpn_ca ]
default_days = 730
EOF
echo "  wrote extensions/cisco-vpn.d/90-validity.cnf (no git add, no commit)"

say "2020-09-01: SC31 takes effect; the team updates every validity file in git to 397 days"
echo "default_days = 397" >"$ca/validity/tls-server.cnf"
echo "default_days = 397" >"$ca/validity/cisco-vpn-server.cnf"
git -C "$ca" add validity
commit 2020-09-01T08:00:00Z "Validity 397 days for every profile (CA/B Forum SC31)"
echo "  what OpenSSL would use for cisco-vpn-server (the last default_days it reads wins):"
(cd "$ca" && grep -H '^default_days' validity/cisco-vpn-server.cnf extensions/cisco-vpn.d/*.cnf) | sed 's/^/    /'
echo "  git status, which nobody reads for a file nobody knows about:"
git -C "$ca" status --porcelain | sed 's/^/    /'

say "vigil check: the nightly job, or the pre-commit hook of that commit"
run "$vigil" check --as-of 2020-09-01
check_rc=$rc
json=$(cd "$ca" && "$vigil" check --as-of 2020-09-01 --format json || true)

say "vigil approve: the team tries to approve the 397-day profiles"
before=$(cat "$ca/approved/cisco-vpn-server.toml")
run "$vigil" approve tls-server cisco-vpn-server --by "Ada Approver <ada@ca.example>" --reason "SC31: 397 days"
approve_rc=$rc
after=$(cat "$ca/approved/cisco-vpn-server.toml")

say "the other half: the operator commits the file and the team approves it; every byte is now under control"
git -C "$ca" add extensions
commit 2020-09-01T10:00:00Z "Cisco head-ends: validity setting"
run "$vigil" approve tls-server cisco-vpn-server --by "Ada Approver <ada@ca.example>" --reason "SC31: 397 days"
git -C "$ca" add approved
commit 2020-09-01T10:05:00Z "Approve the SC31 profiles"
run "$vigil" check --as-of 2020-09-01
rule_rc=$rc
rule_json=$(cd "$ca" && "$vigil" check --as-of 2020-09-01 --format json || true)
before_rc=$( (cd "$ca" && "$vigil" check --as-of 2020-08-31 >/dev/null 2>&1); echo $?)

say "verdict"
caught=1
untracked=$(printf '%s' "$json" | tr -d ' \n' |
  grep -o '"code":"untracked","severity":"error","profile":"cisco-vpn-server","path":"extensions/cisco-vpn.d/90-validity.cnf"[^]]*"from":"profiles/cisco-vpn-server.cnf"' || true)
if [ "$check_rc" = 1 ] && [ -n "$untracked" ]; then
  echo "ok: vigil check exited 1 and reported extensions/cisco-vpn.d/90-validity.cnf untracked, reached from profiles/cisco-vpn-server.cnf"
else
  echo "NOT CAUGHT: vigil check exited $check_rc without an untracked finding on extensions/cisco-vpn.d/90-validity.cnf"
  caught=0
fi
if [ "$approve_rc" = 1 ] && [ "$before" = "$after" ]; then
  echo "ok: vigil approve refused (exit 1) and left the approved manifest as it was"
else
  echo "NOT CAUGHT: vigil approve exited $approve_rc (manifest $([ "$before" = "$after" ] && echo unchanged || echo rewritten))"
  caught=0
fi
violation=$(printf '%s' "$rule_json" | tr -d ' \n' |
  grep -o '"code":"violation","severity":"error","profile":"cisco-vpn-server","path":"extensions/cisco-vpn.d/90-validity.cnf","line":3' || true)
if [ "$rule_rc" = 1 ] && [ -n "$violation" ] && [ "$before_rc" = 0 ]; then
  echo "ok: with every file approved, vigil check --as-of 2020-09-01 exited 1 with a violation of cabf-tls-br/validity-398 at extensions/cisco-vpn.d/90-validity.cnf:3 (and exits 0 as of 2020-08-31)"
else
  echo "NOT CAUGHT: with every file approved, vigil check --as-of 2020-09-01 exited $rule_rc (2020-08-31: $before_rc) without a violation at extensions/cisco-vpn.d/90-validity.cnf:3"
  caught=0
fi
if [ "$caught" = 1 ]; then
  echo "vigil caught the 2020 incident on 2020-09-01, before any certificate was issued."
  exit 0
fi
exit 1
