#!/usr/bin/env bash
# Times the pre-commit hook on a 100,000-file repository, next to `git status`, in one hyperfine run:
#
#   bench/pre-commit.sh            # builds vigil in release mode, makes the repository once, runs hyperfine
#   BENCH_DIR=/tmp/x FILES=20000 bench/pre-commit.sh
#
# The repository holds FILES files (1,000 folders) plus one CA profile (a declared file that includes
# another). Two index files hold the two commits being timed: one that touches no profile (an unrelated
# file) and one that touches a component (together with its approval, so the hook accepts it). The hook
# is the installed .git/hooks/pre-commit, run the way git runs it: from the top, GIT_INDEX_FILE set.
# Needs: git, hyperfine (apt-get install hyperfine).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${BENCH_DIR:-${TMPDIR:-/tmp}/vigil-bench}"
files="${FILES:-100000}"
runs="${RUNS:-20}"

command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
(cd "$here" && cargo build --release --quiet)
vigil="$here/target/release/vigil"

export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example

if [ ! -f "$dir/.ready-$files" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  cd "$dir"
  git init -q -b main
  per=$((files / 1000))
  for d in $(seq 0 999); do
    mkdir -p "src/d$d"
    for f in $(seq 0 $((per - 1))); do
      printf 'file %s/%s\n' "$d" "$f" > "src/d$d/f$f.txt"
    done
  done
  mkdir -p profiles validity
  printf '[profiles.server]\ncomponents = ["profiles/server.cnf"]\nfollow = ["openssl-include"]\n' > vigil.toml
  printf '.include validity/398.cnf\n[ext]\nkeyUsage = digitalSignature\n' > profiles/server.cnf
  printf 'default_days = 397\n' > validity/398.cnf
  git add -A
  "$vigil" approve server --reason bench >/dev/null
  git add -A
  git commit -q --no-verify -m "100k files and a profile"
  touch ".ready-$files"
  echo ".ready-*" > .git/info/exclude
fi
cd "$dir"
"$vigil" hook install --pre-commit >/dev/null
git reset -q --hard
git status --porcelain >/dev/null   # warm the stat data in the index

# Commit 1: an unrelated file.
echo "changed" >> src/d500/f5.txt
git add src/d500/f5.txt
cp .git/index .git/index-unrelated
git reset -q --hard

# Commit 2: a component, approved in the same commit.
echo "default_days = 396" > validity/398.cnf
"$vigil" approve server --reason bench >/dev/null
git add -A
cp .git/index .git/index-component
git reset -q --hard

hyperfine --warmup 3 --runs "$runs" -N \
  -n "git status" "git status --porcelain" \
  -n "pre-commit, touches no profile" "env GIT_INDEX_FILE=.git/index-unrelated .git/hooks/pre-commit" \
  -n "pre-commit, touches a component" "env GIT_INDEX_FILE=.git/index-component .git/hooks/pre-commit" \
  -n "check --staged, no early exit" "env GIT_INDEX_FILE=.git/index-unrelated $vigil check --staged --format json" \
  "$@"
