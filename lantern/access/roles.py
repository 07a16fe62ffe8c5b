"""Roles as capability sets. A user holds roles through team memberships and acts in exactly one,
chosen at login (as on NHS Spine: standards.md §6.2). Capabilities say what a role may attempt;
whether a particular child's record opens is the policy's decision (legitimate relationship)."""

from __future__ import annotations

from dataclasses import dataclass


class Cap:
    PERSON_SEARCH = "person.search"
    PERSON_VIEW = "person.view"
    BREAK_GLASS = "breakglass.use"
    BREAK_GLASS_REVIEW = "breakglass.review"
    ALLOCATE = "allocation.manage"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    ISA_MANAGE = "isa.manage"
    USERS_MANAGE = "users.manage"
    IMPORT = "ingest.import"
    LINKAGE_REVIEW = "linkage.review"
    MISSING_RECORD = "missing.record"
    REFERRAL_DECIDE = "referral.decide"
    QUEUE_WORK = "queue.work"
    SCREENING_RECORD = "screening.record"
    SCREENING_SIGN_OFF = "screening.sign_off"
    EXPORT_903 = "ingest.export_903"  # the LA's own SSDA903 return (children looked after)
    PLAN_RECORD = "plan.record"  # safety plans, their actions and reviews; disruption orders (police)
    NRM_REFER = "nrm.refer"  # and the agency must be a first responder (standards.md §2.2)
    MACE_MANAGE = "mace.manage"
    EQUALITY_VIEW = "equality.view"
    NETWORK_VIEW = "network.view"  # association maps, the lines register, operations
    NETWORK_EDIT = "network.edit"  # record associations and register entries by hand
    NETWORK_EXPORT = "network.export"  # entity/link CSV, GraphML, GEXF for analysts (disclosure-logged)
    REPORT_VIEW = "report.view"  # the board report: aggregates, small numbers suppressed
    REPORT_EXTRACT = "report.extract"  # build and download the pseudonymised analytics extract


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    description: str
    capabilities: frozenset[str]


_PRACTICE = {Cap.PERSON_SEARCH, Cap.PERSON_VIEW, Cap.BREAK_GLASS, Cap.ALLOCATE}

ROLES: dict[str, Role] = {
    role.code: role
    for role in [
        Role(
            "front_door",
            "Front door practitioner",
            "First Response / MASH: takes contacts, referrals and missing notifications.",
            frozenset(_PRACTICE | {Cap.REFERRAL_DECIDE, Cap.MISSING_RECORD, Cap.QUEUE_WORK, Cap.NRM_REFER}),
        ),
        Role(
            "hub_worker",
            "Exploitation hub worker",
            "Screens children for exploitation, maps associations, plans and refers.",
            frozenset(
                _PRACTICE
                | {Cap.MISSING_RECORD, Cap.QUEUE_WORK, Cap.SCREENING_RECORD}
                | {Cap.PLAN_RECORD, Cap.NRM_REFER, Cap.MACE_MANAGE, Cap.NETWORK_VIEW}
            ),
        ),
        Role(
            "missing_coordinator",
            "Missing children coordinator",
            "Tracks missing episodes and return home interviews.",
            frozenset(_PRACTICE | {Cap.MISSING_RECORD, Cap.QUEUE_WORK}),
        ),
        Role(
            "school_dsl",
            "School designated safeguarding lead",
            "Sees the school's own pupils and what is shared with the school.",
            frozenset({Cap.PERSON_SEARCH, Cap.PERSON_VIEW}),
        ),
        Role(
            "police_analyst",
            "Police analyst",
            "Works with the force's own records and what is shared with the force.",
            frozenset(
                {Cap.PERSON_SEARCH, Cap.PERSON_VIEW, Cap.NETWORK_VIEW, Cap.NETWORK_EDIT, Cap.NETWORK_EXPORT}
            ),
        ),
        Role(
            "team_manager",
            "Team manager",
            "Oversees the team's work and reviews its break-glass accesses.",
            frozenset(
                _PRACTICE
                | {Cap.BREAK_GLASS_REVIEW, Cap.IMPORT, Cap.EXPORT_903, Cap.LINKAGE_REVIEW}
                | {Cap.REFERRAL_DECIDE, Cap.MISSING_RECORD, Cap.QUEUE_WORK}
                | {Cap.SCREENING_RECORD, Cap.SCREENING_SIGN_OFF}
                | {Cap.PLAN_RECORD, Cap.NRM_REFER, Cap.MACE_MANAGE, Cap.EQUALITY_VIEW, Cap.NETWORK_VIEW}
                | {Cap.REPORT_VIEW}
            ),
        ),
        Role(
            "strategic_lead",
            "Partnership strategic lead",
            "Board reports, equality monitoring and the pseudonymised analytics extract. Opens no case records.",
            frozenset({Cap.REPORT_VIEW, Cap.REPORT_EXTRACT, Cap.EQUALITY_VIEW}),
        ),
        Role(
            "data_officer",
            "Data officer",
            "Loads agency files and feeds, and resolves uncertain record matches.",
            frozenset({Cap.IMPORT, Cap.EXPORT_903, Cap.LINKAGE_REVIEW}),
        ),
        Role(
            "dpo",
            "Data protection officer",
            "Audits who saw what and why; manages sharing agreements. Does not open case records.",
            frozenset({Cap.AUDIT_READ, Cap.AUDIT_VERIFY, Cap.ISA_MANAGE, Cap.QUEUE_WORK}),
        ),
        Role(
            "sysadmin",
            "System administrator",
            "Manages users and teams. Has no access to children's records.",
            frozenset({Cap.USERS_MANAGE}),
        ),
    ]
}

ROLE_CHOICES = [(role.code, role.label) for role in ROLES.values()]
