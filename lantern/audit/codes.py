"""Numbered audit event codes, in blocks of 100 (consultation, change, disclosure, access control,
collection). Codes are stable: never renumber or reuse one; add new codes at the end of a block.

DPA 2018 s62 requires logs of collection, alteration, consultation, disclosure, combination and
erasure, with justification, date/time and who did it (standards.md §6.1)."""

from django.db import models


class AuditCode(models.IntegerChoices):
    # 1xx consultation
    PERSON_VIEWED = 101, "Person record viewed"
    TIMELINE_VIEWED = 102, "Timeline viewed"
    PERSON_SEARCHED = 103, "Person search (results listed)"
    AUDIT_PERSON_CONSULTED = 110, "Audit consulted: who accessed a person"
    AUDIT_USER_CONSULTED = 111, "Audit consulted: what a user accessed"
    AUDIT_VERIFIED = 112, "Audit log integrity checked"
    IMPORT_BATCH_VIEWED = 113, "Import batch viewed (its rejected rows shown)"
    IMPORT_QUARANTINE_DOWNLOADED = 114, "Import quarantine report downloaded"
    LINKAGE_PAIR_VIEWED = 115, "Linkage review pair viewed"
    MISSING_DASHBOARD_VIEWED = 116, "Missing children dashboard viewed"
    MISSING_REPORT_VIEWED = 117, "Missing episode viewed"
    QUEUE_VIEWED = 118, "Work queue viewed"
    CONTACTS_VIEWED = 119, "Front door contacts listed"
    CONTACT_VIEWED = 120, "Front door contact viewed"
    CALL_LOG_VIEWED = 121, "Missing phone line call log viewed"
    # 2xx change
    PERSON_CREATED = 201, "Person created"
    RECORD_LINKED = 203, "Source record linked to person"
    LINKAGE_DECISION = 204, "Linkage review decision recorded"
    PERSONS_MERGED = 205, "Persons merged by a reviewer"
    PERSON_SPLIT = 206, "Person split by a reviewer"
    ITEM_RECORDED = 210, "Timeline item recorded"
    CATEGORY_RECORDED = 220, "Data-subject category recorded"
    RELATIONSHIP_STARTED = 230, "Legitimate relationship started"
    RELATIONSHIP_ENDED = 231, "Legitimate relationship ended"
    AGREEMENT_SAVED = 240, "Information sharing agreement saved"
    USER_SAVED = 250, "User or membership saved"
    MISSING_REPORT_RECORDED = 260, "Missing report recorded"
    MISSING_REPORT_UPDATED = 261, "Missing report updated (re-graded, returned, linked)"
    RHI_RECORDED = 262, "Return home interview recorded"
    PHILOMENA_SAVED = 263, "Philomena profile saved"
    MISSING_CALL_RECORDED = 264, "Missing phone line call recorded"
    MISSING_DERIVED = 265, "Missing episodes derived from agency events"
    CONTACT_RECORDED = 270, "Front door contact recorded"
    CONTACT_DECIDED = 271, "Front door pathway decision recorded"
    STRATEGY_DISCUSSION_RECORDED = 272, "Strategy discussion recorded"
    ALERT_ACTIONED = 280, "Alert acknowledged, assigned, snoozed or closed"
    ALERTS_RAISED = 281, "Alerts raised or resolved by the rules"
    INDICATORS_SUGGESTED = 290, "Screening indicators suggested from agency records"
    # 3xx disclosure
    EXPORT = 301, "Export (disclosure)"
    EXPORT_903 = 302, "SSDA903 return exported"
    PHILOMENA_RELEASED = 310, "Philomena profile released to police (disclosure)"
    # 4xx access control
    LOGIN = 401, "Logged in"
    LOGIN_FAILED = 402, "Login failed"
    LOGOUT = 403, "Logged out"
    ROLE_CHOSEN = 404, "Acting role chosen"
    BREAK_GLASS_GRANTED = 410, "Break-glass access granted"
    BREAK_GLASS_REVIEWED = 411, "Break-glass access reviewed"
    ACCESS_REFUSED = 420, "Access refused"
    API_TOKEN_CREATED = 430, "Live feed API token created"
    API_TOKEN_REVOKED = 431, "Live feed API token revoked"
    API_READ = 432, "Live feed API read (feeds, batch status or a repeated submission)"
    # 5xx collection
    RECORDS_COLLECTED = 501, "Source records collected"
    ITEMS_COLLECTED = 502, "Timeline items collected"
    RECORDS_UPDATED = 503, "Source records corrected from newer agency data"
    ITEMS_UPDATED = 504, "Timeline items corrected from newer agency data"
    IMPORT_UPLOADED = 505, "Import file uploaded"
    IMPORT_VALIDATED = 506, "Import file validated (preview)"
    IMPORT_COMMITTED = 507, "Import batch committed"
    API_BATCH_SUBMITTED = 508, "Live feed batch submitted through the API"
