"""Fixtures for the import pipeline: a synthetic county's files (written once per module), the
county's agencies with a data officer each, and an isolated DATA_DIR for stored uploads."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from lantern.access.models import Membership, Team
from lantern.access.policy import Viewer
from lantern.access.services import agency_save, user_create
from lantern.conftest import PASSWORD
from lantern.synthetic import generator as gen
from lantern.synthetic.files import write_county_files

AS_OF = dt.date(2026, 11, 28)
RATE = 0.05


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@dataclass
class CountyFiles:
    root: Path
    manifest: dict

    def path(self, rel: str) -> Path:
        return self.root / rel

    def info(self, rel: str) -> dict:
        return self.manifest["files"][rel]

    def rejects(self, rel: str) -> set[int]:
        return {d["row"] for d in self.info(rel)["defects"] if d["expect"] == "reject"}

    @property
    def mapping_json(self) -> str:
        return (self.root / "generic" / "csc_contacts.mapping.json").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def county() -> gen.County:
    return gen.generate("tiny", seed=2019, as_of=AS_OF)


@pytest.fixture(scope="module")
def county_files(county: gen.County, tmp_path_factory: pytest.TempPathFactory) -> CountyFiles:
    root = tmp_path_factory.mktemp("county_files")
    write_county_files(county, root, defect_rate=RATE)
    return CountyFiles(root, json.loads((root / "manifest.json").read_text(encoding="utf-8")))


@dataclass
class Officers:
    """A data officer (role with the import capability) per agency of the county."""

    def viewer(self, agency_code: str) -> Viewer:
        membership = Membership.objects.select_related("user", "team__agency").get(
            user__username=f"officer-{agency_code.lower()}"
        )
        return Viewer(user=membership.user, membership=membership)


@pytest.fixture
def officers(db, county: gen.County) -> Officers:
    for agency in county.agencies:
        saved = agency_save(
            code=agency.code, name=agency.name, agency_type=agency.agency_type, system_actor="test"
        )
        team = Team.objects.create(agency=saved, name="data")
        user_create(
            username=f"officer-{agency.code.lower()}",
            password=PASSWORD,
            display_name=f"Data officer, {agency.name}",
            memberships=[(team, "data_officer")],
            system_actor="test",
        )
    return Officers()
