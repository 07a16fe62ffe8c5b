"""Thin views over the reporting services and selectors: the reports page (period picker, builds
with their progress), a report as a page, its PDF and the CSV behind each table, and the analytics
extract for analysts."""

from __future__ import annotations

import io
import zipfile

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lantern.access.decorators import viewer_required
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import local
from lantern.ingest.formats.base import SafeCsvWriter

from . import rendering, selectors, services
from .forms import PeriodForm
from .models import JobStatus
from .pdf import PdfError, html_to_pdf


def _get(viewer, report_id, read=selectors.board_report_get, **audit):
    try:
        return read(viewer=viewer, report_id=report_id, **audit)
    except AccessDenied as error:
        raise Http404(str(error)) from None


def _downloaded(viewer, report_id, what: str):
    return _get(viewer, report_id, code=AuditCode.REPORT_DOWNLOADED, purpose=f"downloaded {what}")


@viewer_required(Cap.REPORT_VIEW)
def reports_view(request):
    viewer = request.viewer
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.board_report_request(period=form.cleaned_data["period"], viewer=viewer)
        except AccessDenied as error:
            raise PermissionDenied(str(error)) from None
        except ValidationFailed as error:
            form.add_error("period", error.errors.get("period", str(error)))
        else:
            return redirect("reporting:report", report.pk)
    context = {
        "form": form,
        "reports": selectors.board_reports(viewer=viewer)[:20],
        "threshold": settings.LANTERN_SUPPRESS_BELOW,
        "extracts": selectors.extracts(viewer=viewer)[:5] if viewer.can(Cap.REPORT_EXTRACT) else [],
    }
    return render(request, "reporting/reports.html", context)


@viewer_required(Cap.REPORT_VIEW)
def report_view(request, report_id):
    report = _get(request.viewer, report_id)
    context = {"report": report}
    if report.status == JobStatus.READY:
        context["sections"] = rendering.sections(report)
        context["named"] = selectors.frequent_missing_named(viewer=request.viewer, report=report)
    return render(request, "reporting/report.html", context)


@viewer_required(Cap.REPORT_VIEW)
def report_status_view(request, report_id):
    report = _get(request.viewer, report_id, read=selectors.board_report_status)
    if report.status == JobStatus.READY:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # the finished report replaces the progress panel
        return response
    return render(request, "reporting/_status.html", {"job": report})


@viewer_required(Cap.REPORT_VIEW)
def report_pdf_view(request, report_id):
    report = _downloaded(request.viewer, report_id, "as PDF")
    if report.status != JobStatus.READY:
        raise Http404("This report is not ready yet.")
    try:
        pdf = html_to_pdf(rendering.print_html(report), executable=settings.LANTERN_CHROMIUM or None)
    except PdfError as error:
        messages.error(request, f"The PDF could not be made: {error}")
        return redirect("reporting:report", report.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="lantern-board-report-{report.period}.pdf"'
    return response


@viewer_required(Cap.REPORT_VIEW)
def report_csv_view(request, report_id, table_key):
    report = _downloaded(request.viewer, report_id, f"table {table_key} as CSV")
    for section in report.data.get("sections", []):
        for table in section["tables"]:
            if table["key"] == table_key:
                buffer = io.StringIO()
                writer = SafeCsvWriter(buffer)
                writer.writerow(table["columns"])
                for row in table["rows"]:
                    writer.writerow([f"<{report.threshold}" if v is None else v for v in row])
                response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = (
                    f'attachment; filename="board-report-{report.period}-{table_key}.csv"'
                )
                return response
    raise Http404("There is no such table in this report.")


@require_POST
@viewer_required(Cap.REPORT_EXTRACT)
def extract_new_view(request):
    services.extract_request(viewer=request.viewer)
    messages.success(request, "The extract is being built. It appears below when it is ready.")
    return redirect("reporting:reports")


@viewer_required(Cap.REPORT_EXTRACT)
def extract_download_view(request, extract_id):
    extract = selectors.extracts(viewer=request.viewer).filter(pk=extract_id, status=JobStatus.READY).first()
    if extract is None or not extract.path.exists():
        raise Http404("There is no such extract.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(extract.path.iterdir()):
            archive.write(path, path.name)
    audit_record(
        code=AuditCode.EXTRACT_DOWNLOADED,
        viewer=request.viewer,
        object_type="analytics_extract",
        object_id=str(extract.pk),
        justification="Pseudonymised analytics extract downloaded (keyed hashes, no identities)",
        details={"row_counts": extract.row_counts},
    )
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    stamp = f"{local(extract.as_of):%Y%m%d-%H%M}" if extract.as_of else "extract"
    response["Content-Disposition"] = f'attachment; filename="lantern-extract-{stamp}.zip"'
    return response
