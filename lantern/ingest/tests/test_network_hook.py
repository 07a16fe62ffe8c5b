"""Importing police files builds the association map and the lines register in the same commit:
intelligence naming a deal line becomes links to the line and its number, with the record's
controller and handling code; importing the same files again adds no link."""

from __future__ import annotations

from lantern.ingest.services import import_batch_commit
from lantern.lines.models import Line
from lantern.networks.models import Entity, Link
from lantern.synthetic.pipeline import uploader

from .test_pipeline import check, ordered


def _import_all(files, officers) -> None:
    for rel in ordered(files):
        import_batch_commit(check(files, officers, rel), viewer=officers.viewer(uploader(rel)))


def test_a_police_import_derives_links_and_the_register(county_files, officers):
    _import_all(county_files, officers)
    from_intelligence = Link.objects.filter(item_type="intelligence")
    assert from_intelligence.filter(link_type="uses_phone").exists()
    assert set(from_intelligence.values_list("controller__code", flat=True)) <= {
        "LEICS-POLICE",
        "NORTHANTS-POLICE",
    }
    assert Entity.objects.filter(kind="phone", parsed=True).exists() and Line.objects.exists()
    links = Link.objects.count()
    _import_all(county_files, officers)  # nothing new in the files: nothing new in the map
    assert Link.objects.count() == links
