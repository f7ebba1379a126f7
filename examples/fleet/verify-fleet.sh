#!/bin/sh
# Verify many CA hosts against one bundle over ssh, and collect their Prometheus textfiles.
#
#   vigil bundle tls-server -o tls-server.bundle          # on the approval workstation, from git
#   VIGIL_MAP="profiles=/etc/ca/profiles" \
#     examples/fleet/verify-fleet.sh tls-server.bundle fleet-metrics/ ca1.example ca2.example
#
# For each host: copies the bundle over (scp), runs `vigil verify` there (no version control needed
# on the host), prints its findings one line each, prefixed with the host, and leaves the metrics in
# the host's node_exporter textfile folder, so the host's own scrape labels them with its instance.
# A copy of each host's metrics, with an `instance` label added, lands in OUTDIR/HOST.prom (for a
# central textfile collector, or for a look at the whole fleet without Prometheus), and the last lines
# say which bundle revision each host was verified against. Exit status: 0 when every host passed,
# 1 when any host has findings, 2 when any host could not be verified.
#
# Settings (environment): VIGIL_MAP (space-separated REPO_PATH=HOST_PATH), VIGIL (vigil on the
# hosts), VIGIL_ROOT (--root on the hosts, default /), REMOTE_BUNDLE (where the bundle is copied),
# TEXTFILE (the metrics file on the hosts), SSH and SCP (the commands used, e.g. with -F CONFIG).
set -u

if [ $# -lt 3 ]; then
    echo "usage: $0 BUNDLE OUTDIR HOST..." >&2
    exit 2
fi
bundle=$1
outdir=$2
shift 2

: "${VIGIL:=vigil}"
: "${VIGIL_ROOT:=/}"
: "${VIGIL_MAP:=}"
: "${REMOTE_BUNDLE:=/var/lib/vigil/deployed.bundle}"
: "${TEXTFILE:=/var/lib/prometheus/node-exporter/vigil-verify.prom}"
: "${SSH:=ssh -o BatchMode=yes}"
: "${SCP:=scp -q -o BatchMode=yes}"

maps=""
for m in $VIGIL_MAP; do
    maps="$maps --map '$m'"
done

mkdir -p "$outdir"
worst=0
for host in "$@"; do
    # Copy next to the final name, then rename: a verify running on the host never reads half a bundle.
    if ! $SCP "$bundle" "$host:$REMOTE_BUNDLE.new" ||
        ! $SSH "$host" "mv '$REMOTE_BUNDLE.new' '$REMOTE_BUNDLE'"; then
        echo "$host: cannot copy the bundle" >&2
        worst=2
        continue
    fi
    # One run per host: the findings (one line each, for a log), the metrics into TEXTFILE, and vigil's
    # exit status on the last line.
    output=$($SSH "$host" "'$VIGIL' verify --bundle '$REMOTE_BUNDLE' --root '$VIGIL_ROOT' $maps \
        --format line --report 'prometheus=$TEXTFILE' 2>&1; echo vigil-exit=\$?")
    printf '%s\n' "$output" | grep -v '^vigil-exit=' | sed "s/^/$host: /"
    rc=$(printf '%s\n' "$output" | sed -n 's/^vigil-exit=//p' | tail -n 1)
    case $rc in
        0) ;;
        1) [ "$worst" -lt 1 ] && worst=1 ;;
        *) echo "$host: vigil verify could not run (exit ${rc:-unknown})" >&2; worst=2 ;;
    esac
    # The host's metrics, each series labelled with the host.
    $SSH "$host" "cat '$TEXTFILE'" 2>/dev/null |
        sed -E "s/^(vigil_[a-z_]+)\{/\1{instance=\"$host\",/; s/^(vigil_[a-z_]+) /\1{instance=\"$host\"} /" \
            >"$outdir/$host.prom.new" && mv "$outdir/$host.prom.new" "$outdir/$host.prom"
done

# The fleet picture: which bundle revision each host runs. Two revisions during a rolling deployment
# are expected; two an hour later are what the alert VigilDeployedRevisionsDiffer is for.
echo "revisions:"
cat "$outdir"/*.prom 2>/dev/null | grep '^vigil_revision_info' |
    sed -E 's/.*instance="([^"]*)".*revision="([^"]*)".*/  \2  \1/' | sort
exit $worst
