"""The synthetic county's agency files, taken in through the real import pipeline: each agency's
data officer uploads its files (upload → check → commit, exactly as in production), in the order a
partnership would load them. Rows with injected defects are refused and kept in quarantine, as a
real import would keep them. Returns the generator events the files carried, so the loader adds
only what no agency file format holds (e.g. police incidents, case-system contacts, categories)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lantern.access.models import Agency, Membership, Team
from lantern.access.policy import Viewer
from lantern.access.services import user_create
from lantern.ingest.models import ImportBatch
from lantern.ingest.services import import_batch_commit, import_batch_create, import_batch_validate

from .files import write_county_files
from .generator import County

SYSTEM = "synthetic county loader"
# Load order: the case system's contacts, then the CIN census, then each 903 return in year order
# (Header, Episodes, Missing: a return's episodes need its children), then everything else.
_GROUP = {"generic": 0, "cin_census": 1, "ssda903": 2}
_TABLE_ORDER = {"Header": 0, "Episodes": 1, "Missing": 2}
STATUTORY_RETURNS = ("ssda903", "cin_census")


def uploader(rel: str) -> str:
    """The agency that sends each synthetic file."""
    if rel.startswith(("ssda903/", "cin/", "generic/")):
        return "LCC-CFS"
    if rel.startswith("schools/"):
        return Path(rel).stem.rsplit("_", 1)[1]
    if rel.startswith("police/"):
        return "NORTHANTS-POLICE" if "northants" in rel else "LEICS-POLICE"
    return "UHL-NHS"


def ordered(manifest: dict) -> list[str]:
    def key(rel: str):
        info = manifest["files"][rel]
        year = rel.split("_")[1] if info["format"] == "ssda903" else ""
        return (_GROUP.get(info["format"], 3), year, _TABLE_ORDER.get(info["table"], 0), rel)

    return sorted(manifest["files"], key=key)


@dataclass
class FilesLoaded:
    files: int
    rows: int
    rejected: int
    covered_events: set[int]  # indices into county.events that a file row carried (taken or refused)


def _feed_officer(agency_code: str) -> Viewer:
    """The agency's data-feed account: a data officer who cannot sign in (inactive, no usable
    password), so it never appears where people are chosen (allocation, assignment)."""
    agency = Agency.objects.get(code=agency_code)
    username = f"feed-{agency_code.lower()}"
    membership = (
        Membership.objects.filter(user__username=username).select_related("user", "team__agency").first()
    )
    if membership is None:
        team, _ = Team.objects.get_or_create(agency=agency, name="Data feeds")
        user = user_create(
            username=username,
            password=secrets.token_urlsafe(32),
            display_name=f"{agency.name} data feed",
            memberships=[(team, "data_officer")],
            system_actor=SYSTEM,
        )
        user.set_unusable_password()
        user.is_active = False
        user.save(update_fields=["password", "is_active"])
        membership = Membership.objects.select_related("user", "team__agency").get(user=user)
    return Viewer(user=membership.user, membership=membership)


def import_county_files(
    county: County,
    directory: Path,
    *,
    defect_rate: float,
    progress: Callable[[str, int, int], None] | None = None,
) -> FilesLoaded:
    write_county_files(county, directory, defect_rate=defect_rate)
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    mapping = (directory / "generic" / "csc_contacts.mapping.json").read_text(encoding="utf-8")
    names = ordered(manifest)
    # Each agency names the case system its extracts come from, so a file's rows land on the records
    # that system already holds; statutory returns (903, CIN census) are their own extracts.
    systems = {r.agency_code: r.source_system for r in county.records}
    loaded = FilesLoaded(files=0, rows=0, rejected=0, covered_events=set())
    for number, rel in enumerate(names, start=1):
        info = manifest["files"][rel]
        agency = uploader(rel)
        viewer = _feed_officer(agency)
        options = {} if info["format"] in STATUTORY_RETURNS else {"source_system": systems.get(agency, "")}
        if info["format"] == "generic":
            options["mapping_json"] = mapping
        batch = import_batch_create(
            viewer=viewer, format_code=info["format"], path=directory / rel, **options
        )
        batch = import_batch_validate(batch)
        if batch.status != ImportBatch.Status.VALIDATED:
            raise RuntimeError(f"{rel} was refused whole: {batch.error}")
        # Identity resolution runs once over everything after the load, not per file.
        import_batch_commit(batch, viewer=viewer, link_new=False)
        loaded.files += 1
        loaded.rows += batch.counts["rows"]
        loaded.rejected += batch.counts["rejected"]
        for source in info["sources"]:
            loaded.covered_events.update(source["events"])
        if progress:
            progress("importing agency files", number, len(names))
    return loaded
