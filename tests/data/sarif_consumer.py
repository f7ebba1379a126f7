"""Reads a SARIF log as code-scanning consumers do, for vigil's tests.

Usage: sarif_consumer.py SCHEMA SARIF

1. Validates SARIF against the official SARIF 2.1.0 JSON Schema (SCHEMA) with the `jsonschema`
   package, checking formats (URIs) too; every error is printed and the exit status is 1.
2. Loads it with Microsoft's `sarif-tools` (`sarif.loader`) and prints, as one JSON object, what that
   library reads from it: the tool names, and per result the location, line, severity and rule, with
   the rule's helpUri.
"""

import json
import sys

import jsonschema
from sarif import loader


def main() -> int:
    schema_path, sarif_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(sarif_path, encoding="utf-8") as f:
        log = json.load(f)
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path)
        print(f"schema error at /{path}: {e.message}", file=sys.stderr)
    if errors:
        return 1

    sarif_file = loader.load_sarif_file(sarif_path)
    records = []
    for record in sarif_file.get_records():
        rules = sarif_file.get_rules_by_id(record["Code"])
        records.append(
            {
                "location": record["Location"],
                "line": record["Line"],
                "severity": record["Severity"],
                "rule": record["Code"],
                "help_uri": rules[0].get("helpUri") if rules else None,
            }
        )
    json.dump(
        {
            "tools": sarif_file.get_distinct_tool_names(),
            "result_count": sarif_file.get_result_count(),
            "severities": sarif_file.get_severities(),
            "records": records,
        },
        sys.stdout,
        indent=1,
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
