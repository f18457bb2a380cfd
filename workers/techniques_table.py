"""Regenerates coverwatch/taxonomy/attack_techniques.json, the ATT&CK techniques table
workers/techniques.py reads: each enterprise and mobile technique and
sub-technique with its id, name, parent and tactics.

The source is the MISP galaxy's ``mitre-attack-pattern`` cluster (MITRE's STIX
data, converted by the MISP project), shipped offline by the pip package
``pymispgalaxies``, the same kind of MISP galaxy data the actor taxonomy imports
(coverwatch/taxonomy/importers.py)::

    pip install pymispgalaxies
    python -m workers.techniques_table            # from the installed package
    python -m workers.techniques_table CLUSTER.json

Deprecated and revoked techniques (and PRE-ATT&CK, merged into enterprise) are
left out; a revoked technique's name is kept as a former name of the technique
that replaced it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

from coverwatch.taxonomy.attack import TECHNIQUES_FILE

TABLE = TECHNIQUES_FILE
NOTICE = ("MITRE ATT&CK: (c) The MITRE Corporation. This work is reproduced and distributed with the permission of "
          "The MITRE Corporation (ATT&CK Terms of Use, attack.mitre.org/resources/legal-and-branding/terms-of-use/). "
          "Converted by the MISP project (misp-galaxy mitre-attack-pattern cluster, CC0 / BSD-2-Clause).")


def installed_cluster() -> Path:
    spec = importlib.util.find_spec("pymispgalaxies")
    if spec is None or spec.origin is None:
        raise SystemExit("pymispgalaxies is not installed: pip install pymispgalaxies, or name the cluster file")
    return Path(spec.origin).parent / "data" / "misp-galaxy" / "clusters" / "mitre-attack-pattern.json"


def _current(entry: dict[str, Any]) -> bool:
    phases = [phase for phase in entry["meta"].get("kill_chain", [])
              if phase.split(":")[0].startswith(("attack-", "mobile-attack-"))]
    return bool(phases) and "deprecated" not in entry.get("description", "")[:120].lower() \
        and not _revoked_by(entry)


def _revoked_by(entry: dict[str, Any]) -> str | None:
    return next((related["dest-uuid"] for related in entry.get("related", []) if related.get("type") == "revoked-by"),
                None)


def technique_rows(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per current technique, by id."""
    rows: dict[str, dict[str, Any]] = {}
    for entry in filter(_current, cluster["values"]):
        phases = [phase for phase in entry["meta"]["kill_chain"]
                  if phase.split(":")[0].startswith(("attack-", "mobile-attack-"))]
        technique_id = entry["meta"]["external_id"]
        rows[technique_id] = {
            "id": technique_id,
            "name": entry["value"].rsplit(" - ", 1)[0],
            "parent": technique_id.split(".")[0] if "." in technique_id else None,
            "domain": "mobile" if phases[0].startswith("mobile-") else "enterprise",
            "tactics": sorted({phase.split(":", 1)[1] for phase in phases}),
        }
    return [rows[technique_id] for technique_id in sorted(rows)]


def former_names(cluster: dict[str, Any]) -> list[list[str]]:
    """[old name, current id] of each technique ATT&CK revoked in favour of a
    current one: news still writes "DLL Search Order Hijacking" (now T1574.001)."""
    current = {entry["uuid"]: entry["meta"]["external_id"] for entry in filter(_current, cluster["values"])}
    names = {}
    for entry in cluster["values"]:
        replacement = current.get(_revoked_by(entry) or "")
        if replacement:
            names[entry["value"].rsplit(" - ", 1)[0]] = replacement
    return [[name, names[name]] for name in sorted(names)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cluster", nargs="?", type=Path, help="mitre-attack-pattern.json (default: pymispgalaxies')")
    args = parser.parse_args()
    path = args.cluster or installed_cluster()
    cluster = json.loads(path.read_text(encoding="utf-8"))
    rows = technique_rows(cluster)
    columns = ("id", "name", "parent", "domain", "tactics")
    header = {"notice": NOTICE, "source": f"misp-galaxy {cluster['type']} cluster, version {cluster['version']}",
              "columns": columns}
    # One technique a line: a small diff when ATT&CK changes.
    lines = [json.dumps(header, ensure_ascii=False)[:-1] + ', "techniques": [',
             ",\n".join(json.dumps([row[column] for column in columns], ensure_ascii=False) for row in rows),
             '], "former_names": [',
             ",\n".join(json.dumps(pair, ensure_ascii=False) for pair in former_names(cluster)), "]}"]
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} techniques written to {TABLE}")


if __name__ == "__main__":
    main()
