"""Children in Need census XML (``Message/Children/Child``): children, referrals (CINdetails with
ReferralSource) and assessments with their factor codes.

Sources (ST = /work/shared/domain/standards.md):

* Structure, element names and code lists: ST §4.2 (LIIA ``CIN_schema_2017.xsd`` …
  ``CIN_schema_2024.xsd`` @0dd821c; SSD ``assessment_factors.yml``): ChildIdentifiers (LAchildID, UPN,
  FormerUPN, UPNunknown UN1-UN7, PersonBirthDate, ExpectedPersonBirthDate, GenderCurrent 1/2/0/9,
  PersonDeathDate), ChildCharacteristics (Ethnicity, the 20 codes), CINdetails (CINreferralDate,
  ReferralSource, PrimaryNeedCode N0-N9, CINclosureDate, ReasonForClosure RC1-RC9, DateOfInitialCPC,
  ReferralNFA, Assessments with FactorsIdentifiedAtAssessment/AssessmentFactors), assessment factor
  codes (2024 schema, 24A from the 2021-22 census) and ReferralSource codes (2022+).
* Rule 8614 (D2I-CIN ``cin_validator/rules/cin2022_23/rule_8614.py``, ST §4.2): AssessmentFactors may
  only be present if AssessmentAuthorisationDate is present.

Lantern's assumptions (not stated in ST, consistent with LIIA ``CIN_schema_2024.xsd`` as read): the
optional ``Message/Header`` (CollectionDetails/Collection, Year, ReferenceDate; Source/LEA) is read
for metadata only; dates are ``xs:date`` (``yyyy-mm-dd``); ReferralNFA is true/false/TRUE/FALSE/0/1; a
namespace on the elements is ignored; CINPlanDates, Section47, ChildProtectionPlans and Disabilities
are allowed but not imported.  Lantern's own rules: a child needs PersonBirthDate or
ExpectedPersonBirthDate; CINclosureDate is not before CINreferralDate and AssessmentAuthorisationDate
is not before AssessmentActualStartDate (``LAN-ORDER``); LAchildID is unique in a file.

Safety: the XML is read with defusedxml (``forbid_dtd=True``, no entity expansion, no external
entities), so billion-laughs and XXE files are refused with :class:`FileRejected`.  It is read
iteratively (iterparse), one Child at a time; each Child is dropped from the tree once converted, so
memory does not grow with the file.  For a seekable stream the whole file is first checked for
well-formedness (a second, constant-memory pass), so a malformed file is refused before any row is
yielded; for a non-seekable stream a well-formedness error found later raises FileRejected mid-stream
(stage rows and commit only when the iterator completes).

Rows are Child elements, numbered from 1 in file order.  A Child becomes a person record (source key
LAchildID, also the LA child id; the census carries no names), one ``csc_referral`` event per
CINdetails (at CINreferralDate) and one ``cin_assessment`` event per Assessment (at the authorisation
date when present, else the start date); safeguarding purpose, no handling code.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # noqa: S405 - only for ParseError/Element types; parsing uses defusedxml
from collections.abc import Iterator
from typing import IO, Any

import defusedxml
from defusedxml.ElementTree import iterparse

from .base import (
    Column,
    EventPart,
    FieldError,
    FileRejected,
    FileValidator,
    FormatSpec,
    ParsedRow,
    PersonPart,
    Result,
    RowRejected,
    TableSpec,
    convert_cell,
    fmt_date,
    local_midnight,
    open_bytes,
    register_rules,
    truncate_summary,
)

SOURCE = "ST §4.2 (CIN census XSD 2017-2024, LIIA)"

register_rules(
    {
        "8614": "AssessmentFactors may only be present if AssessmentAuthorisationDate is present",
        "LAN-CIN-DOB": "a child needs PersonBirthDate or ExpectedPersonBirthDate",
    }
)

GENDER = {"1": "Male", "2": "Female", "0": "Not recorded or unborn (XSD)", "9": "Indeterminate (XSD)"}
ETHNICITY = {
    "WBRI": "White British", "WIRI": "White Irish", "WOTH": "Any other White background",
    "WIRT": "Traveller of Irish heritage", "WROM": "Gypsy/Roma", "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African", "MWAS": "White and Asian", "MOTH": "Any other mixed background",
    "AIND": "Indian", "APKN": "Pakistani", "ABAN": "Bangladeshi", "AOTH": "Any other Asian background",
    "BCRB": "Caribbean", "BAFR": "African", "BOTH": "Any other Black background", "CHNE": "Chinese",
    "OOTH": "Any other ethnic group", "REFU": "Refused", "NOBT": "Information not yet obtained",
}  # fmt: skip
UPN_UNKNOWN = {f"UN{i}": "UPN unknown (meaning not in ST)" for i in range(1, 8)}
REFERRAL_SOURCE = {
    "1A": "individual: family member, relative or carer",
    "1B": "individual: acquaintance",
    "1C": "individual: self",
    "1D": "individual: other",
    "2A": "schools",
    "2B": "education services",
    "3A": "health services: GP",
    "3B": "health services: health visitor",
    "3C": "health services: school nurse",
    "3D": "health services: other primary health services",
    "3E": "health services: A&E",
    "3F": "health services: other",
    "4": "housing",
    "5A": "LA services: social care",
    "5B": "LA services: other internal department",
    "5C": "LA services: external (other LA)",
    "5D": "LA services: early help",
    "6": "police",
    "7": "other legal agency",
    "8": "other",
    "9": "anonymous",
    "10": "unknown",
}
# ST §4.2 gives the groups (1A-1D individual, 2A schools, 2B education services, 3A-3F health, 4 housing,
# 5A-5D LA services with 5D early help, 6 police, 7 other legal agency, 8 other, 9 anonymous, 10 unknown);
# the sub-labels of 1A-1D, 3A-3F and 5A-5C are from the LIIA 2024 XSD annotations / Lantern's reading.
PRIMARY_NEED = {
    "N1": "abuse or neglect", "N2": "child's disability", "N3": "parental disability or illness",
    "N4": "family in acute stress", "N5": "family dysfunction", "N6": "socially unacceptable behaviour",
    "N7": "low income", "N8": "absent parenting", "N9": "cases other than children in need", "N0": "not stated",
}  # fmt: skip
REASON_FOR_CLOSURE = {f"RC{i}": "(meaning not in ST)" for i in range(1, 10)}
FACTORS = {
    "1A": "alcohol misuse by the child", "1B": "alcohol misuse by parent(s) or carer(s)",
    "1C": "alcohol misuse by another household member",
    "2A": "drug misuse by the child", "2B": "drug misuse by parent(s) or carer(s)",
    "2C": "drug misuse by another household member",
    "3A": "domestic abuse (child subject)", "3B": "domestic abuse (parent subject)",
    "3C": "domestic abuse (household member subject)",
    "4A": "mental health of the child", "4B": "mental health of parent(s) or carer(s)",
    "4C": "mental health of another household member",
    "5A": "learning disability of the child", "5B": "learning disability of parent(s) or carer(s)",
    "5C": "learning disability of another household member",
    "6A": "physical disability or illness of the child", "6B": "physical disability or illness of parent(s)",
    "6C": "physical disability or illness of another household member",
    "7A": "young carer",
    "8B": "privately fostered", "8C": "privately fostered", "8D": "privately fostered",
    "8E": "privately fostered", "8F": "privately fostered",
    "9A": "unaccompanied asylum-seeking child",
    "10A": "going missing", "11A": "child sexual exploitation", "12A": "trafficking",
    "13A": "risk from gangs", "14A": "socially unacceptable behaviour", "15A": "self-harm",
    "16A": "neglect", "17A": "emotional abuse",
    "18B": "physical abuse (child on child)", "18C": "physical abuse (adult on child)",
    "19B": "sexual abuse (child on child)", "19C": "sexual abuse (adult on child)",
    "20": "other", "21": "no factors identified", "22A": "female genital mutilation",
    "23A": "abuse linked to faith or belief", "24A": "child criminal exploitation",
}  # fmt: skip
NFA = {"true": "yes", "false": "no", "TRUE": "yes", "FALSE": "no", "1": "yes", "0": "no"}

_ID = "ChildIdentifiers/"
_CH = "ChildCharacteristics/"
CHILD_COLUMNS = (
    Column(_ID + "LAchildID", "id", True, "LA's identifier for the child", source=SOURCE, max_length=40),
    Column(_ID + "UPN", "upn", False, "Unique pupil number", source=SOURCE),
    Column(_ID + "FormerUPN", "upn", False, "Former UPN", source=SOURCE),
    Column(_ID + "UPNunknown", "code", False, "Why the UPN is unknown", UPN_UNKNOWN, SOURCE),
    Column(_ID + "PersonBirthDate", "date", False, "Date of birth (xs:date)", source=SOURCE, date_style="iso"),
    Column(_ID + "ExpectedPersonBirthDate", "date", False, "Expected date of birth (unborn child)", source=SOURCE, date_style="iso"),
    Column(_ID + "GenderCurrent", "code", True, "Gender", GENDER, SOURCE),
    Column(_ID + "PersonDeathDate", "date", False, "Date of death", source=SOURCE, date_style="iso"),
    Column(_CH + "Ethnicity", "code", True, "Ethnicity (20 DfE codes)", ETHNICITY, SOURCE),
)  # fmt: skip
CIN_COLUMNS = (
    Column("CINreferralDate", "date", True, "Date of referral (repeats per CINdetails)", source=SOURCE, date_style="iso"),
    Column("ReferralSource", "code", True, "Source of the referral (6 = police)", REFERRAL_SOURCE, SOURCE),
    Column("PrimaryNeedCode", "code", False, "Primary need", PRIMARY_NEED, SOURCE),
    Column("CINclosureDate", "date", False, "Date the CIN episode closed", source=SOURCE, date_style="iso"),
    Column("ReasonForClosure", "code", False, "Reason for closure", REASON_FOR_CLOSURE, SOURCE),
    Column("DateOfInitialCPC", "date", False, "Date of the initial child protection conference", source=SOURCE, date_style="iso"),
    Column("ReferralNFA", "code", True, "Referral resulted in no further action", NFA, SOURCE),
)  # fmt: skip
ASSESSMENT_COLUMNS = (
    Column("AssessmentActualStartDate", "date", True, "Assessment start (repeats per Assessments)", source=SOURCE, date_style="iso"),
    Column("AssessmentInternalReviewDate", "date", False, "Internal review date", source=SOURCE, date_style="iso"),
    Column("AssessmentAuthorisationDate", "date", False, "Date the assessment was authorised (completed)", source=SOURCE, date_style="iso"),
    Column("AssessmentFactors", "code", False, "Factor identified at the end of assessment (repeats)", FACTORS, SOURCE),
)  # fmt: skip

CHILD_TABLE = TableSpec(
    "Child",
    tuple(CHILD_COLUMNS)
    + tuple(Column("CINdetails/" + c.name, c.kind, c.required, c.description, c.codes, c.source, date_style="iso") for c in CIN_COLUMNS)
    + tuple(
        Column("CINdetails/Assessments/" + (c.name if c.name != "AssessmentFactors" else "FactorsIdentifiedAtAssessment/AssessmentFactors"),
               c.kind, c.required, c.description, c.codes, c.source, date_style="iso")
        for c in ASSESSMENT_COLUMNS
    ),
    ("ChildIdentifiers/LAchildID",),
    "One Child element: identifiers, characteristics, one or more CINdetails with assessments",
)  # fmt: skip

FORMAT = FormatSpec(
    code="cin_census",
    label="Children in Need census (XML)",
    kind="xml",
    tables=(CHILD_TABLE,),
    source=SOURCE,
    source_system="CIN-CENSUS",
    description="Message/Header (optional) and Message/Children/Child elements; dates are xs:date.",
)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def _text(elem: ET.Element | None) -> str:
    return "" if elem is None or elem.text is None else elem.text.strip()


def _flatten(elem: ET.Element, prefix: str, out: dict[str, str]) -> None:
    """Leaves as {path[index]: text} (the 'raw' cells of a Child, used for duplicate detection)."""
    counts: dict[str, int] = {}
    for sub in elem:
        counts[sub.tag] = counts.get(sub.tag, 0) + 1
        path = f"{prefix}{sub.tag}[{counts[sub.tag]}]"
        if len(sub):
            _flatten(sub, path + "/", out)
        else:
            out[path] = _text(sub)


def _xml_error(filename: str, exc: Exception) -> FileRejected:
    if isinstance(exc, defusedxml.DTDForbidden):
        expected = (
            "XML without a document type declaration (DTDs, entities and external references are refused)"
        )
        value = "<!DOCTYPE …>"
    elif isinstance(exc, defusedxml.EntitiesForbidden):
        expected = "XML without entity declarations (entity expansion is refused)"
        value = "<!ENTITY …>"
    elif isinstance(exc, defusedxml.ExternalReferenceForbidden):
        expected = "XML without external references"
        value = "external reference"
    elif isinstance(exc, defusedxml.DefusedXmlException):
        expected = "safe XML"
        value = type(exc).__name__
    else:
        expected = "well-formed XML"
        value = str(exc)
    return FileRejected([FieldError(0, "(xml)", value, expected, None, filename)])


def _events(source: IO[bytes]) -> Iterator[tuple[str, ET.Element]]:
    return iterparse(
        source, events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )


def _prescan(stream: IO[bytes], filename: str) -> None:
    """Check the whole file is safe, well-formed XML, dropping every element as soon as it ends (so
    memory stays constant), then rewind."""
    pos = stream.tell()
    stack: list[ET.Element] = []
    try:
        for event, elem in _events(stream):
            if event == "start":
                stack.append(elem)
                continue
            stack.pop()
            if stack:
                stack[-1].remove(elem)
    except (ET.ParseError, defusedxml.DefusedXmlException) as exc:
        raise _xml_error(filename, exc) from None
    stream.seek(pos)


def parse(stream: IO[bytes], *, filename: str, encoding: str = "utf-8") -> Iterator[Result]:
    """Parse a CIN census XML file.  Raises FileRejected for unsafe, malformed, empty or non-CIN files
    (see the module docstring for streams that cannot seek).  The encoding comes from the XML
    declaration (UTF-8 by default); ``encoding`` is accepted for symmetry and ignored."""
    if isinstance(stream, (bytes, bytearray)):
        raise TypeError("pass a binary stream")
    seekable = False
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        start = stream.tell()
        open_bytes(stream, filename=filename, check_text=False)  # empty / workbook checks
        stream.seek(start)
        _prescan(stream, filename)
        source: IO[bytes] = stream
    else:
        source, _head = open_bytes(stream, filename=filename, check_text=False)
    events = _events(source)
    try:
        event, root = next(events)
    except StopIteration:
        raise FileRejected([FieldError(0, "(xml)", "", "a Message element", None, filename)]) from None
    except (ET.ParseError, defusedxml.DefusedXmlException) as exc:
        raise _xml_error(filename, exc) from None
    root.tag = _local(root.tag)
    if root.tag != "Message":
        raise FileRejected(
            [
                FieldError(
                    0,
                    "(xml)",
                    f"<{root.tag}>",
                    "a CIN census file whose root element is <Message>",
                    None,
                    filename,
                )
            ]
        )
    return _children(events, root, filename)


def _children(events: Iterator[tuple[str, ET.Element]], root: ET.Element, filename: str) -> Iterator[Result]:
    stack: list[ET.Element] = [root]
    row = 0
    seen_children = False
    try:
        for event, elem in events:
            if event == "start":
                elem.tag = _local(elem.tag)
                stack.append(elem)
                continue
            stack.pop()
            if elem.tag == "Child" and len(stack) >= 2 and stack[-1].tag == "Children":
                row += 1
                yield child_result(elem, row, filename)
                stack[-1].remove(elem)
            elif elem.tag == "Children":
                seen_children = True
            elif len(stack) == 1:  # Header or anything else directly under Message: not kept
                root.remove(elem)
    except (ET.ParseError, defusedxml.DefusedXmlException) as exc:
        raise _xml_error(filename, exc) from None
    if not seen_children and row == 0:
        raise FileRejected(
            [FieldError(0, "(xml)", "", "a <Children> element with at least one <Child>", None, filename)]
        )


def child_result(child: ET.Element, row: int, filename: str) -> Result:
    """Convert and check one Child element."""
    errors: list[FieldError] = []
    notes: list[str] = []
    raw: dict[str, str] = {}
    _flatten(child, "", raw)
    values: dict[str, Any] = {}
    for col in CHILD_COLUMNS:
        group, name = col.name.split("/")
        values[name] = convert_cell(col, _text(child.find(f"{group}/{name}")), row, filename, errors, notes)
    la_id = values["LAchildID"]
    if (
        values["PersonBirthDate"] is None
        and values["ExpectedPersonBirthDate"] is None
        and not any(e.field.endswith("BirthDate") for e in errors)
    ):
        errors.append(
            FieldError(
                row,
                _ID + "PersonBirthDate",
                "",
                "a date of birth or expected date of birth",
                "LAN-CIN-DOB",
                filename,
            )
        )
    details_list = child.findall("CINdetails")
    if not details_list:
        errors.append(FieldError(row, "CINdetails", "", "at least one CINdetails element", None, filename))
    referrals: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for i, cin in enumerate(details_list, start=1):
        prefix = f"CINdetails[{i}]/"
        cv: dict[str, Any] = {}
        for col in CIN_COLUMNS:
            named = Column(
                prefix + col.name, col.kind, col.required, col.description, col.codes, date_style="iso"
            )
            cv[col.name] = convert_cell(named, _text(cin.find(col.name)), row, filename, errors, notes)
        if cv["CINclosureDate"] and cv["CINreferralDate"] and cv["CINclosureDate"] < cv["CINreferralDate"]:
            errors.append(
                FieldError(
                    row,
                    prefix + "CINclosureDate",
                    _text(cin.find("CINclosureDate")),
                    f"a date on or after CINreferralDate ({cv['CINreferralDate'].isoformat()})",
                    "LAN-ORDER",
                    filename,
                )
            )
        assessments: list[dict[str, Any]] = []
        for j, asm in enumerate(cin.findall("Assessments"), start=1):
            aprefix = f"{prefix}Assessments[{j}]/"
            av: dict[str, Any] = {}
            for col in ASSESSMENT_COLUMNS[:3]:
                named = Column(aprefix + col.name, col.kind, col.required, col.description, date_style="iso")
                av[col.name] = convert_cell(named, _text(asm.find(col.name)), row, filename, errors, notes)
            factors: list[str] = []
            for k, f in enumerate(asm.findall("FactorsIdentifiedAtAssessment/AssessmentFactors"), start=1):
                named = Column(
                    f"{aprefix}FactorsIdentifiedAtAssessment/AssessmentFactors[{k}]",
                    "code",
                    True,
                    "",
                    FACTORS,
                )
                code = convert_cell(named, _text(f), row, filename, errors, notes)
                if code is not None:
                    factors.append(code)
            av["factors"] = factors
            start, auth = av["AssessmentActualStartDate"], av["AssessmentAuthorisationDate"]
            if start and auth and auth < start:
                errors.append(
                    FieldError(
                        row,
                        aprefix + "AssessmentAuthorisationDate",
                        _text(asm.find("AssessmentAuthorisationDate")),
                        f"a date on or after AssessmentActualStartDate ({start.isoformat()})",
                        "LAN-ORDER",
                        filename,
                    )
                )
            if factors and _text(asm.find("AssessmentAuthorisationDate")) == "":
                errors.append(
                    FieldError(
                        row,
                        aprefix + "AssessmentAuthorisationDate",
                        "",
                        "an authorisation date, because AssessmentFactors are present",
                        "8614",
                        filename,
                    )
                )
            assessments.append(av)
        referrals.append((cv, assessments))
    if errors:
        return RowRejected(row, filename, "Child", tuple(errors), raw)
    person = PersonPart(
        source_key=la_id,
        dob=values["PersonBirthDate"],
        sex={"1": "M", "2": "F"}.get(values["GenderCurrent"], "U"),
        ethnicity=values["Ethnicity"],
        upn=values["UPN"] or "",
        la_child_id=la_id,
    )
    events: list[EventPart] = []
    for cv, assessments in referrals:
        ref_date = cv["CINreferralDate"]
        source = cv["ReferralSource"]
        summary = f"Referral to children's social care from {REFERRAL_SOURCE[source]}"
        if cv["CINclosureDate"]:
            summary += f"; closed {fmt_date(cv['CINclosureDate'])}"
        events.append(
            EventPart(
                "csc_referral",
                local_midnight(ref_date),
                truncate_summary(summary),
                {
                    "referral_source": source,
                    "referral_source_label": REFERRAL_SOURCE[source],
                    "primary_need": cv["PrimaryNeedCode"],
                    "referral_date": ref_date.isoformat(),
                    "closure_date": cv["CINclosureDate"].isoformat() if cv["CINclosureDate"] else None,
                    "reason_for_closure": cv["ReasonForClosure"],
                    "date_of_initial_cpc": cv["DateOfInitialCPC"].isoformat()
                    if cv["DateOfInitialCPC"]
                    else None,
                    "referral_nfa": NFA[cv["ReferralNFA"]] == "yes",
                },
                "safeguarding",
                f"CIN-REF:{la_id}:{ref_date.isoformat()}",
            )
        )
        for av in assessments:
            start, auth = av["AssessmentActualStartDate"], av["AssessmentAuthorisationDate"]
            labels = ", ".join(FACTORS[f] for f in av["factors"])
            if auth:
                summary = "Child and family assessment completed" + (f"; factors: {labels}" if labels else "")
            else:
                summary = "Child and family assessment started"
            events.append(
                EventPart(
                    "cin_assessment",
                    local_midnight(auth or start),
                    truncate_summary(summary),
                    {
                        "factors": list(av["factors"]),
                        "start_date": start.isoformat(),
                        "authorisation_date": auth.isoformat() if auth else None,
                        "referral_date": ref_date.isoformat(),
                    },
                    "safeguarding",
                    f"CIN-ASM:{la_id}:{start.isoformat()}",
                )
            )
    return ParsedRow(row, filename, "Child", la_id, la_id, person, tuple(events), tuple(notes), raw, values)


class ChildValidator(FileValidator):
    """Duplicate Child elements (same content) and duplicate LAchildID within a file."""

    def key_field(self, result: ParsedRow) -> str:
        return _ID + "LAchildID"

    def key_label(self, result: ParsedRow) -> str:
        return "LAchildID"


def validate_file(results: Iterator[Result]) -> Iterator[Result]:
    return ChildValidator().check(results)


def xml_date(d: dt.date | None) -> str:
    return "" if d is None else d.isoformat()
