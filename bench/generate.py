#!/usr/bin/env python3
"""Writes the benchmark workspace: 100,000 files, of which four profiles reference 10,000.

Deterministic: the same arguments write the same bytes, so every run measures the same repository.
Only the standard library; about two seconds on a laptop.

    bench/generate.py DIR [--files 100000] [--referenced 10000] [--list FILE]

Layout (counts for the defaults):

    vigil.toml
    ca/common/c00.cnf .. c19.cnf        20 files every profile reaches (shared components)
    ca/glob/dNN/fNNNN.cnf              glob profile:    components = ["ca/glob/**/*.cnf", "ca/common/*.cnf"]
    ca/folder/dNN/fNNNN.pem            folder profile:  components = ["ca/folder/", "ca/common/"]
    ca/incdir/main.cnf + dNN/*.cnf     incdir profile:  main.cnf `.include`s each folder dNN/ and ca/common/
    ca/incfile/main.cnf + dNN/...      incfile profile: main.cnf `.include`s dNN/index.cnf, which
                                                        `.include`s each of its files by name
    noise/dNNN/fNNNNN.txt              everything else: tracked, unreferenced
    approved/*.toml                    written later by `vigil approve` (4 files, counted in the total)
"""

import argparse
import os
import sys

PROFILES = 4
COMMON = 20
PER_DIR = 125
MANIFESTS = PROFILES


def body(kind: str, i: int, size: int) -> bytes:
    """A config-like text of about `size` bytes, different for every (kind, i)."""
    head = f"# {kind} component {i}\n[ section_{kind}_{i} ]\n"
    lines = [head]
    n = 0
    while sum(len(x) for x in lines) < size:
        lines.append(f"key_{n:03d} = value-{(i * 7919 + n * 104729) % 1000003:07d}\n")
        n += 1
    return "".join(lines).encode()


def write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--referenced", type=int, default=10_000)
    ap.add_argument("--list", help="write the referenced paths here, one a line (for the b3sum baseline)")
    a = ap.parse_args()

    root = a.dir
    os.makedirs(root, exist_ok=True)
    written = 0
    referenced = 0

    # Shared components.
    os.makedirs(f"{root}/ca/common", exist_ok=True)
    for i in range(COMMON):
        write(f"{root}/ca/common/c{i:02d}.cnf", body("common", i, 400))
    written += COMMON
    referenced += COMMON

    # The rest of the referenced files, split evenly over the four profiles; the two include profiles
    # spend some of their share on the files that do the including.
    share = (a.referenced - COMMON) // PROFILES
    extra = (a.referenced - COMMON) - share * PROFILES
    shares = [share + (1 if k < extra else 0) for k in range(PROFILES)]

    def spread(base: str, n: int, name, kind: str) -> list:
        """Writes n files into base/dNN/ folders of PER_DIR files; returns their paths relative to root."""
        out = []
        for i in range(n):
            d = f"{base}/d{i // PER_DIR:02d}"
            os.makedirs(f"{root}/{d}", exist_ok=True)
            rel = f"{d}/{name(i)}"
            write(f"{root}/{rel}", body(kind, i, 300 + (i * 37) % 900))
            out.append(rel)
        return out

    # glob profile
    spread("ca/glob", shares[0], lambda i: f"f{i:04d}.cnf", "glob")
    # folder profile (PEM-like names: folders take every file, whatever its name)
    spread("ca/folder", shares[1], lambda i: f"f{i:04d}.pem", "folder")
    # incdir profile: main.cnf includes every folder
    incdir = spread("ca/incdir", shares[2] - 1, lambda i: f"f{i:04d}.cnf", "incdir")
    folders = sorted({p.rsplit("/", 1)[0] for p in incdir})
    main = ["# incdir profile\n", ".include ca/common/\n"] + [f".include {d}/\n" for d in folders]
    write(f"{root}/ca/incdir/main.cnf", "".join(main).encode())
    # A file in an included folder that OpenSSL (and vigil) must not load: counted as noise.
    write(f"{root}/ca/incdir/d00/README.txt", b"not a .cnf file: not included\n")
    # incfile profile: main.cnf includes one index per folder, each index names its files
    n_leaf = shares[3] - 1
    n_dirs = (n_leaf + PER_DIR - 1) // PER_DIR
    n_leaf -= n_dirs  # the index files count too
    leaves = spread("ca/incfile", n_leaf, lambda i: f"f{i:04d}.cnf", "incfile")
    by_dir = {}
    for p in leaves:
        by_dir.setdefault(p.rsplit("/", 1)[0], []).append(p)
    for d in range(n_dirs):
        dd = f"ca/incfile/d{d:02d}"
        os.makedirs(f"{root}/{dd}", exist_ok=True)
        lines = [f".include {p}\n" for p in by_dir.get(dd, [])]
        write(f"{root}/{dd}/index.cnf", "".join(lines).encode())
    main = ["# incfile profile\n", ".include ca/common/\n"]
    main += [f".include ca/incfile/d{d:02d}/index.cnf\n" for d in range(n_dirs)]
    write(f"{root}/ca/incfile/main.cnf", "".join(main).encode())
    referenced += sum(shares)
    written += sum(shares) + 1  # + README.txt

    write(
        f"{root}/vigil.toml",
        b"""# Benchmark workspace written by bench/generate.py.
[profiles.glob]
components = ["ca/glob/**/*.cnf", "ca/common/*.cnf"]

[profiles.folder]
components = ["ca/folder/", "ca/common/"]

[profiles.incdir]
components = ["ca/incdir/main.cnf"]
follow = ["openssl-include"]

[profiles.incfile]
components = ["ca/incfile/main.cnf"]
follow = ["openssl-include"]
""",
    )
    written += 1

    noise = a.files - written - MANIFESTS
    for i in range(noise):
        d = f"noise/d{i // 100:03d}"
        if i % 100 == 0:
            os.makedirs(f"{root}/{d}", exist_ok=True)
        write(f"{root}/{d}/f{i:05d}.txt", body("noise", i, 200 + (i * 13) % 400))
    written += noise

    # The referenced files, one per line, for the b3sum baseline.
    refs = []
    for dirpath, _, files in os.walk(f"{root}/ca"):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), root)
            if not rel.endswith("README.txt"):
                refs.append(rel)
    refs.sort()
    assert len(refs) == a.referenced, (len(refs), a.referenced)
    if a.list:
        with open(a.list, "w") as f:
            f.write("\n".join(refs) + "\n")
    print(f"generated {written} files (+{MANIFESTS} manifests to come); {len(refs)} referenced", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
