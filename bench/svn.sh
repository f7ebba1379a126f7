#!/usr/bin/env bash
# Benchmark: vigil on a large Subversion working copy, and the pre-commit hook's cost.
#
#   bench/svn.sh            # 20,000 files, profiles referencing 2,000 of them
#   FILES=5000 REFS=500 bench/svn.sh
#
# Needs svn, svnadmin, svnlook and hyperfine. Uses target/release/vigil (built here unless VIGIL is set).
# BASELINE=/path/to/an/older/vigil also times that binary's hook on the same commit, for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${FILES:-20000}
REFS=${REFS:-2000}
PER_DIR=100
PROFILES=10
export LANG=C.UTF-8 LC_ALL=C.UTF-8

if [ -z "${VIGIL:-}" ]; then
  cargo build --release --quiet
  VIGIL=$PWD/target/release/vigil
fi
for t in svn svnadmin svnlook hyperfine; do
  command -v "$t" >/dev/null || { echo "bench/svn.sh: install $t" >&2; exit 2; }
done

work=$(mktemp -d /tmp/vigil-bench-svn.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home
mkdir -p "$HOME"
repo=$work/repo
wc=$work/wc
svnadmin create "$repo"
svn mkdir -q -m layout "file://$repo/trunk"
svn checkout -q "file://$repo/trunk" "$wc"

dirs=$((FILES / PER_DIR))
ref_dirs=$((REFS / PER_DIR))
echo "bench: writing $FILES files in $dirs folders; $PROFILES profiles reference $REFS of them" >&2
for ((d = 0; d < dirs; d++)); do
  dir=$(printf '%s/d%03d' "$wc" "$d")
  mkdir -p "$dir"
  for ((f = 0; f < PER_DIR; f++)); do
    printf 'default_days = %d\nfolder = %d\n' "$f" "$d" >"$dir/f$f.cnf"
  done
done
{
  per=$((ref_dirs / PROFILES))
  for ((p = 0; p < PROFILES; p++)); do
    printf '[profiles.p%d]\ncomponents = [' "$p"
    for ((k = 0; k < per; k++)); do printf '"d%03d/", ' $((p * per + k)); done
    printf ']\n\n'
  done
} >"$wc/vigil.toml"
(cd "$wc" && svn add -q --force . && svn commit -q -m files)
names=$(seq -f 'p%g' 0 $((PROFILES - 1)))
# shellcheck disable=SC2086
(cd "$wc" && "$VIGIL" approve $names --by bench >/dev/null && svn add -q --force . && svn commit -q -m approve && svn update -q)
"$VIGIL" --version >&2

echo "== vigil check next to svn status on the same working copy ($FILES files, $REFS components)" >&2
(cd "$wc" && hyperfine -N --warmup 2 --runs 10 \
  'svn status' \
  'svn status --xml -v --no-ignore' \
  "$VIGIL check")

# Hook cost, measured on committed revisions with `-r` (the same work as on a transaction).
last=$((dirs - 1))
printf 'x\n' >>"$(printf '%s/d%03d/f0.cnf' "$wc" "$last")"
(cd "$wc" && svn commit -q -m "touches no profile")
rev_none=$(svnlook youngest "$repo")
printf 'y\n' >>"$wc/d000/f0.cnf"
(cd "$wc" && "$VIGIL" approve p0 --by bench >/dev/null && svn commit -q -m "touches a component of p0, re-approved")
rev_comp=$(svnlook youngest "$repo")
echo "== pre-commit hook: a commit touching no profile (r$rev_none) vs one touching a component (r$rev_comp)" >&2
echo "   (--no-cache: every component of the profile read, as on the first commit after installing the hook;" >&2
echo "    default: the node cache warm from an earlier run, as on every later commit touching the profile)" >&2
hyperfine -N --warmup 1 --runs 5 \
  "$VIGIL svn-pre-commit $repo -r $rev_none" \
  "$VIGIL svn-pre-commit $repo -r $rev_comp --no-cache" \
  "$VIGIL svn-pre-commit $repo -r $rev_comp" \
  ${BASELINE:+"$BASELINE svn-pre-commit $repo -r $rev_comp"}
