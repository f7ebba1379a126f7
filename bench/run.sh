#!/usr/bin/env bash
# Every performance goal of vigil, each measured in one hyperfine command against its baseline, with
# the ratios printed next to the goals; then a linearity and peak-memory table from 1,000 to 100,000
# components, and where the time goes (strace counts).
#
#   bench/run.sh [OUT_DIR]            # default OUT_DIR: /tmp/vigil-bench-run
#   RUNS=5 WARMUP=1 bench/run.sh      # hyperfine runs per command (defaults: 5 and 1)
#   SIZES="1000 10000" bench/run.sh   # component counts of the linearity table (default 1000 10000 100000)
#   VIGIL=/path/to/vigil bench/run.sh # a given binary instead of building target/release/vigil
#
# Repositories (kept in OUT_DIR and reused by the next run):
#   git/main     bench/generate.py: 100,000 files, four profiles reaching 10,000 of them (globs,
#                folders, two levels of OpenSSL includes), approved and committed
#   git/main.git a bare clone of git/main: the server of the pre-receive comparison
#   git/lin-N    the same layout with N components and N/10 unreferenced files (linearity table)
#   svn/wc       a Subversion working copy of 20,000 files, ten profiles reaching 2,000
#   aide/        an AIDE configuration and database of the 10,000 components of git/main
#
# Installs what it needs with apt-get when missing (as root): hyperfine, b3sum, aide, subversion, time,
# strace.
set -euo pipefail
crate="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-${TMPDIR:-/tmp}/vigil-bench-run}"
runs="${RUNS:-5}"
warmup="${WARMUP:-1}"
sizes="${SIZES:-1000 10000 100000}"
export LANG=C.UTF-8 LC_ALL=C.UTF-8
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example

need=()
for pair in hyperfine:hyperfine b3sum:b3sum aide:aide svn:subversion svnadmin:subversion openssl:openssl \
  /usr/bin/time:time strace:strace; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "bench: install ${need[*]} (Debian: apt-get install ${need[*]})" >&2
    exit 2
  fi
fi
if [ -z "${VIGIL:-}" ]; then
  (cd "$crate" && cargo build --release --quiet)
  VIGIL="$crate/target/release/vigil"
fi
mkdir -p "$out"
# A copy, so that a rebuild while the benchmark runs does not change the binary under test.
cp "$VIGIL" "$out/vigil"
vigil="$out/vigil"
"$vigil" --version >&2
echo "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# A generated, approved, committed git repository: make_git DIR FILES REFERENCED
make_git() {
  local repo=$1 files=$2 refs=$3
  [ -f "$repo/.ready" ] && return 0
  rm -rf "$repo"
  echo "bench: generating $repo ($files files, $refs components)" >&2
  python3 "$crate/bench/generate.py" "$repo" --files "$files" --referenced "$refs" --list "$repo.referenced"
  git -C "$repo" init -q -b main
  git -C "$repo" config gc.auto 0
  git -C "$repo" config maintenance.auto false
  git -C "$repo" add -A
  git -C "$repo" commit -q -m generated
  (cd "$repo" && "$vigil" approve glob folder incdir incfile --by Bench --reason benchmark >/dev/null)
  git -C "$repo" add approved
  git -C "$repo" commit -q -m approve
  git -C "$repo" gc -q
  echo ".ready" >"$repo/.git/info/exclude"
  touch "$repo/.ready"
}

main="$out/git/main"
mkdir -p "$out/git"
make_git "$main" 100000 10000
(cd "$main" && "$vigil" check >/dev/null) || { echo "bench: vigil check is not clean in $main" >&2; exit 2; }
[ -z "$(git -C "$main" status --porcelain)" ] || { echo "bench: git status is not clean in $main" >&2; exit 2; }
# The pre-commit hook's commit: one unrelated file staged, in an index of its own.
(
  cd "$main"
  cp .git/index .git/index-unrelated
  echo "changed" >>noise/d500/f50000.txt
  GIT_INDEX_FILE=.git/index-unrelated git add noise/d500/f50000.txt
  git checkout -q -- noise/d500/f50000.txt
)
# The pre-receive hook's push: a bare clone of git/main (the server) and one pushed commit that
# modifies the same unrelated file; the hook reads `OLD NEW REF` on stdin as git feeds it.
server="$out/git/main.git"
if [ ! -f "$server/.ready" ]; then
  rm -rf "$server"
  git clone -q --bare "$main" "$server"
  touch "$server/.ready"
fi
(
  cd "$main"
  old=$(git rev-parse HEAD)
  new=$(git commit-tree "$(GIT_INDEX_FILE=.git/index-unrelated git write-tree)" -p "$old" -m unrelated)
  # Under a ref of its own, so the server holds the commit's objects; main stays at the old tip.
  git push -q -f "$server" "$new:refs/bench/unrelated"
  printf '%s %s refs/heads/main\n' "$old" "$new" >"$out/pre-receive.in"
)
said=$(GIT_DIR="$server" "$vigil" pre-receive <"$out/pre-receive.in" 2>&1) || true
case "$said" in
*"nothing to check"*) ;;
*) echo "bench: vigil pre-receive does not take its fast path on $server: $said" >&2; exit 2 ;;
esac

# The Subversion working copy (20,000 files, 2,000 components in ten profiles).
svnroot="$out/svn"
if [ ! -f "$svnroot/.ready" ]; then
  rm -rf "$svnroot"
  mkdir -p "$svnroot"
  echo "bench: building the Subversion working copy" >&2
  svnadmin create "$svnroot/repo"
  svn mkdir -q -m layout "file://$svnroot/repo/trunk"
  svn checkout -q "file://$svnroot/repo/trunk" "$svnroot/wc"
  for ((d = 0; d < 200; d++)); do
    dir=$(printf '%s/wc/d%03d' "$svnroot" "$d")
    mkdir -p "$dir"
    for ((f = 0; f < 100; f++)); do printf 'default_days = %d\nfolder = %d\n' "$f" "$d" >"$dir/f$f.cnf"; done
  done
  {
    for ((p = 0; p < 10; p++)); do
      printf '[profiles.p%d]\ncomponents = [' "$p"
      for ((k = 0; k < 2; k++)); do printf '"d%03d/", ' $((p * 2 + k)); done
      printf ']\n\n'
    done
  } >"$svnroot/wc/vigil.toml"
  (cd "$svnroot/wc" && svn add -q --force . && svn commit -q -m files)
  (cd "$svnroot/wc" && "$vigil" approve p0 p1 p2 p3 p4 p5 p6 p7 p8 p9 --by bench >/dev/null &&
    svn add -q --force . && svn commit -q -m approve && svn update -q)
  touch "$svnroot/.ready"
fi

# AIDE over the same 10,000 files as the gate: a configuration and a database made once.
aidedir="$out/aide"
if [ ! -f "$aidedir/aide.db" ]; then
  mkdir -p "$aidedir"
  cat >"$aidedir/aide.conf" <<EOF
database_in=file:$aidedir/aide.db
database_out=file:$aidedir/aide.db.new
gzip_dbout=no
report_url=stdout
Content = p+i+n+u+g+s+m+c+sha256
$main/ca Content
EOF
  aide --init -c "$aidedir/aide.conf" >/dev/null
  mv "$aidedir/aide.db.new" "$aidedir/aide.db"
fi

cd "$main"
"$vigil" check >/dev/null # the stat cache is warm from here on
hf() { hyperfine -N --warmup "$warmup" --runs "$runs" --style basic "$@"; }
hf --export-json "$out/check.json" \
  -n "vigil check" "$vigil check" \
  -n "git status --porcelain" "git status --porcelain" \
  -n "vigil check --no-cache" "$vigil check --no-cache"
hf --export-json "$out/gate.json" \
  -n "vigil gate" "$vigil gate glob folder incdir incfile" \
  -n "b3sum, 2 processes" "xargs -a $main.referenced -P 2 -n 5000 b3sum --no-names"
hf --export-json "$out/hook.json" \
  -n "pre-commit, no profile touched" "env GIT_INDEX_FILE=.git/index-unrelated $vigil check --staged" \
  -n "git status --porcelain" "git status --porcelain"
# hyperfine 1.15 has no --input: both commands of this comparison run through the shell (whose own
# start-up hyperfine measures and subtracts), the hook with its input redirected.
hyperfine --warmup "$warmup" --runs "$runs" --style basic --export-json "$out/pre-receive.json" \
  -n "pre-receive, no profile touched" "GIT_DIR='$server' '$vigil' pre-receive <'$out/pre-receive.in'" \
  -n "git status --porcelain" "git status --porcelain"
hf --export-json "$out/aide.json" \
  -n "vigil check" "$vigil check" \
  -n "vigil gate" "$vigil gate glob folder incdir incfile" \
  -n "aide --check" "aide --check -c $aidedir/aide.conf"
(cd "$svnroot/wc" && "$vigil" check >/dev/null && hf --export-json "$out/svn.json" \
  -n "vigil check (svn)" "$vigil check" \
  -n "svn status" "svn status")

# Where the limits lie: what the outside programs need for the part of the work they share with vigil.
# OpenSSL's own load of the configuration of the two profiles that follow includes (`openssl req`
# reads it whole, as vigil must to know what it includes; it then fails for want of a [req] section,
# hence -i), next to git status and b3sum; and the two Subversion client runs vigil's check makes
# (status of the components, then `svn info` for the byte comparison `svn status` skips) next to a
# plain `svn status`.
key="$out/bench-key.pem"
[ -f "$key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null
req() { echo "openssl req -new -noout -subj /CN=bench -key $key -config $1"; }
hf -i --export-json "$out/limits.json" \
  -n "openssl loads incdir" "$(req ca/incdir/main.cnf)" \
  -n "openssl loads incfile" "$(req ca/incfile/main.cnf)" \
  -n "git status --porcelain" "git status --porcelain" \
  -n "b3sum, 2 processes" "xargs -a $main.referenced -P 2 -n 5000 b3sum --no-names"
(cd "$svnroot/wc" && ls d0[01][0-9]/*.cnf >"$out/svn.components" && hf --export-json "$out/svn-limits.json" \
  -n "svn status of the components" "xargs -a $out/svn.components svn status --xml -v --no-ignore --depth empty --" \
  -n "svn info of the components" "xargs -a $out/svn.components svn info --xml --depth empty --" \
  -n "svn status" "svn status")

# Linearity and peak memory: one warm run of each command under /usr/bin/time -v, with git status on
# the same repository as the baseline of each size (CPU time is the steadier measure on a shared machine).
: >"$out/linear.tsv"
for n in $sizes; do
  repo="$out/git/lin-$n"
  make_git "$repo" $((n + n / 10)) "$n"
  for cmd in "check" "check --no-cache" "gate glob folder incdir incfile" "git status --porcelain" \
    "openssl req -config ca/incdir/main.cnf"; do
    case $cmd in
      git\ *) bin=git args=${cmd#git } ;;
      openssl\ *) bin=openssl args="req -new -noout -subj /CN=bench -key $key -config ca/incdir/main.cnf" ;;
      *) bin=$vigil args=$cmd ;;
    esac
    (cd "$repo" && "$bin" $args >/dev/null 2>&1) || true
    (cd "$repo" && /usr/bin/time -v "$bin" $args >/dev/null 2>"$out/time.txt") || true
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$out/time.txt")
    cpu=$(awk -F': ' '/(User|System) time/ {s += $2} END {print s}' "$out/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
    printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$cmd" "$wall" "$cpu" "$rss" >>"$out/linear.tsv"
  done
done

# Where the time goes: system calls of one warm check and one gate of git/main.
(cd "$main" && strace -c -f -o "$out/strace-check.txt" "$vigil" check >/dev/null) || true
(cd "$main" && strace -c -f -o "$out/strace-gate.txt" "$vigil" gate glob folder incdir incfile >/dev/null) || true

python3 - "$out" <<'EOF'
import json, sys, os
out = sys.argv[1]
def load(name):
    return {r["command"]: r for r in json.load(open(f"{out}/{name}.json"))["results"]}
def line(name, a, b, goal):
    r = load(name)
    x, y = r[a], r[b]
    ratio = x["mean"] / y["mean"]
    cpu = (x["user"] + x["system"]) / (y["user"] + y["system"])
    ok = "met" if ratio <= goal else "NOT met"
    print(f"{a:<32} {x['mean']*1000:8.1f} ms   {b:<24} {y['mean']*1000:8.1f} ms   "
          f"ratio {ratio:5.2f} (fastest {x['min']/y['min']:.2f}, CPU {cpu:.2f})   goal <= {goal}: {ok}")
print()
print("== ratios against the goals (wall time, mean of the runs; CPU: user + system time)")
line("check", "vigil check", "git status --porcelain", 0.5)
line("gate", "vigil gate", "b3sum, 2 processes", 1.2)
line("hook", "pre-commit, no profile touched", "git status --porcelain", 0.3)
line("pre-receive", "pre-receive, no profile touched", "git status --porcelain", 0.3)
line("svn", "vigil check (svn)", "svn status", 1.0)
line("aide", "vigil gate", "aide --check", 1.0)
line("aide", "vigil check", "aide --check", 1.0)
r = load("check")
print(f"(for reference: vigil check --no-cache {r['vigil check --no-cache']['mean']*1000:.1f} ms)")
print()
print("== linearity and peak memory (one warm run each, /usr/bin/time -v)")
print(f"{'components':>10}  {'command':<38} {'wall s':>7} {'CPU s':>7} {'CPU per 1k':>10} {'max RSS MB':>10}")
for l in open(f"{out}/linear.tsv"):
    n, cmd, wall, cpu, rss = l.rstrip("\n").split("\t")
    n, wall, cpu, rss = int(n), float(wall or 0), float(cpu or 0), int(rss or 0)
    name = cmd if cmd.startswith(("git ", "openssl ")) else f"vigil {cmd}"
    print(f"{n:>10}  {name:<38} {wall:7.2f} {cpu:7.2f} {cpu/(n/1000):10.3f} {rss/1024:10.1f}")
print()
print("== where the limits lie (wall time, mean; CPU: user + system)")
r = load("limits")
ossl = [r["openssl loads incdir"], r["openssl loads incfile"]]
o_wall = sum(x["mean"] for x in ossl)
o_cpu = sum(x["user"] + x["system"] for x in ossl)
for base in ("git status --porcelain", "b3sum, 2 processes"):
    y = r[base]
    print(f"OpenSSL's own load of the two include-following profiles {o_wall*1000:8.1f} ms = "
          f"{o_wall/y['mean']:5.2f}x {base} (CPU {o_cpu/(y['user']+y['system']):.2f}x)")
r = load("svn-limits")
y = r["svn status"]
for a in ("svn status of the components", "svn info of the components"):
    x = r[a]
    print(f"{a:<56} {x['mean']*1000:8.1f} ms = {x['mean']/y['mean']:5.2f}x svn status "
          f"(CPU {(x['user']+x['system'])/(y['user']+y['system']):.2f}x)")
print()
for what in ("check", "gate"):
    print(f"== system calls of one warm vigil {what} of 10,000 components (strace -c -f, top 6)")
    rows = [l.split() for l in open(f"{out}/strace-{what}.txt") if l.strip() and l.split()[0][0].isdigit()]
    rows = [r for r in rows if len(r) >= 5 and r[-1] != "total"]
    rows.sort(key=lambda r: -int(r[3]))
    print("  " + ", ".join(f"{r[-1]} {r[3]}" for r in rows[:6]))
EOF
echo "bench: hyperfine JSON, linear.tsv and strace counts in $out" >&2
