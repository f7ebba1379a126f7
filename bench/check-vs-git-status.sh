#!/usr/bin/env bash
# Measures `vigil check` against `git status --porcelain` (and BLAKE3 hashing against `b3sum`) on a
# generated git repository of 100,000 files of which four profiles reference 10,000.
#
#   bench/check-vs-git-status.sh [OUT_DIR]
#
# OUT_DIR (default: a new folder under /tmp) receives the repository (repo/), the list of referenced files,
# and hyperfine's results (results.md, results.json). VIGIL=/path/to/vigil uses that binary instead of
# building the release one. RUNS and WARMUP set hyperfine's counts (default 20 and 3).
set -euo pipefail

crate=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
repo="$out/repo"
runs=${RUNS:-20}
warmup=${WARMUP:-3}

need=()
for tool in git python3 hyperfine b3sum; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if ((${#need[@]})); then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "bench: installing ${need[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git python3 hyperfine b3sum >/dev/null
  else
    echo "bench: missing ${need[*]} (Debian: sudo apt-get install git python3 hyperfine b3sum)" >&2
    exit 2
  fi
fi

if [ -z "${VIGIL:-}" ]; then
  echo "bench: cargo build --release" >&2
  (cd "$crate" && cargo build --release --quiet --bin vigil)
  target=$(cd "$crate" && cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  VIGIL="${target:-$crate/target}/release/vigil"
fi
vigil=$VIGIL

# A repository that depends on nothing of this machine's git configuration.
export HOME="$out/home" GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.org
export GIT_AUTHOR_DATE=2020-09-01T00:00:00Z GIT_COMMITTER_DATE=2020-09-01T00:00:00Z
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
mkdir -p "$HOME"

if [ ! -f "$repo/approved/glob.toml" ]; then
  rm -rf "$repo"
  echo "bench: generating $repo" >&2
  time python3 "$crate/bench/generate.py" "$repo" --list "$out/referenced.txt"
  git -C "$repo" init -q -b main
  # No automatic gc or maintenance in the background while hyperfine measures; one explicit gc below.
  git -C "$repo" config gc.auto 0
  git -C "$repo" config maintenance.auto false
  echo "bench: committing" >&2
  time (git -C "$repo" add -A && git -C "$repo" commit -q -m "generated")
  (cd "$repo" && "$vigil" approve glob folder incdir incfile --by Bench --reason benchmark)
  git -C "$repo" add approved
  git -C "$repo" commit -q -m "approve"
  echo "bench: git gc" >&2
  git -C "$repo" gc -q
fi
echo "bench: $(git -C "$repo" ls-files | wc -l) tracked files, $(wc -l <"$out/referenced.txt") referenced" >&2
(cd "$repo" && "$vigil" check >/dev/null) || { echo "bench: vigil check is not clean" >&2; exit 2; }
[ -z "$(git -C "$repo" status --porcelain)" ] || { echo "bench: git status is not clean" >&2; exit 2; }

cd "$repo"
hyperfine --warmup "$warmup" --runs "$runs" -N \
  --export-markdown "$out/results.md" --export-json "$out/results.json" \
  -n "vigil check" "$vigil check" \
  -n "git status --porcelain" "git status --porcelain" \
  -n "b3sum (the 10,000 referenced files)" "xargs -a $out/referenced.txt b3sum --no-names"

python3 - "$out/results.json" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
v, g = r["vigil check"], r["git status --porcelain"]
b = r["b3sum (the 10,000 referenced files)"]
cpu = lambda x: x["user"] + x["system"]
ms = lambda x: f'{x["mean"] * 1000:.1f} ms ± {x["stddev"] * 1000:.1f}'
print()
print(f'vigil check:            {ms(v)}  (CPU {cpu(v) * 1000:.0f} ms)')
print(f'git status --porcelain: {ms(g)}  (CPU {cpu(g) * 1000:.0f} ms)')
print(f'b3sum (10,000 files):   {ms(b)}  (CPU {cpu(b) * 1000:.0f} ms)')
print(f'ratio vigil check / git status: {v["mean"] / g["mean"]:.2f} (wall, mean), '
      f'{v["min"] / g["min"]:.2f} (wall, fastest run), {cpu(v) / cpu(g):.2f} (CPU time, user+system)')
print(f'ratio vigil check / b3sum:      {v["mean"] / b["mean"]:.2f} (wall, mean), '
      f'{v["min"] / b["min"]:.2f} (wall, fastest run), {cpu(v) / cpu(b):.2f} (CPU time, user+system)')
EOF
echo "bench: results in $out/results.md" >&2
