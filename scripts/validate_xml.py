"""Validates an XML document against XML Schemas we ship, offline (no schema is fetched).

    .venv/bin/python scripts/validate_xml.py SCHEMA.xsd DOCUMENT.xml [EXTRA.xsd ...]

SCHEMA is the document's own schema (GPX 1.1, IOF 3.0); each EXTRA is the schema of a namespace
the document uses inside a lax wildcard (the Garmin TrackPointExtension in a GPX `extensions`).
Without it, `processContents="lax"` would let anything through there: importing it makes the
extension's content checked too. Exit 0 when valid; 1 with every error when not; 2 on misuse.
"""
from __future__ import annotations

import sys

import xmlschema


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema = xmlschema.XMLSchema(argv[1], build=False)
    for extra in argv[3:]:
        target = xmlschema.XMLSchema(extra).target_namespace
        schema.import_schema(target, extra)
    schema.build()
    errors = list(schema.iter_errors(argv[2], use_location_hints=False))
    for error in errors:
        print(f"{argv[2]}: {error.reason} at {error.path}", file=sys.stderr)
    if errors:
        print(f"{argv[2]}: INVALID against {argv[1]} ({len(errors)} error(s))", file=sys.stderr)
        return 1
    print(f"{argv[2]}: valid against {', '.join([argv[1], *argv[3:]])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
