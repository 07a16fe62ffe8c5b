from django import forms
from django.conf import settings

from .services import ENCODINGS, FORMATS, MAPPING_MAX_BYTES


def _megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} MB"


class ImportUploadForm(forms.Form):
    format_code = forms.ChoiceField(
        label="What kind of file is it?",
        choices=[(code, fmt.label) for code, fmt in FORMATS.items()],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the kind of file"},
    )
    file = forms.FileField(
        label="Upload a file",
        error_messages={"required": "Select a file", "empty": "The selected file is empty"},
        allow_empty_file=True,  # an empty file is refused by the check, with the same message as the CLI
    )
    source_system = forms.CharField(
        label="Source system (optional)",
        required=False,
        max_length=60,
        help_text="The system the file was exported from, for example NICHE, MOSAIC or SIMS. Records are "
        "matched on this name and their key, so use the same name every time. Leave blank for the "
        "format's default.",
    )
    table = forms.ChoiceField(
        label="Table (optional)",
        required=False,
        choices=[("", "Recognise it from the header row")]
        + [
            (table, f"{fmt.label.split(' (')[0]}: {table}")
            for fmt in FORMATS.values()
            for table in fmt.tables
        ],
        help_text="SSDA903 and police files are recognised from their header row.",
    )
    collection_year = forms.IntegerField(
        label="Collection year (SSDA903 only, optional)",
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="The year the collection ends: 2024 for 1 April 2023 to 31 March 2024. Leave blank to "
        "read it from the file name (903_2023-24_Header.csv).",
        error_messages={
            "invalid": "Enter the collection year as a number, like 2024",
            "min_value": "Enter a collection year between 2000 and 2100",
            "max_value": "Enter a collection year between 2000 and 2100",
        },
    )
    encoding = forms.ChoiceField(
        label="Character encoding",
        choices=[
            ("utf-8", "UTF-8 (Excel's \u201cCSV UTF-8\u201d, and XML)"),
            ("cp1252", "Windows-1252 (Excel's plain \u201cCSV\u201d)"),
        ],
        initial="utf-8",
        required=False,
        widget=forms.RadioSelect,
    )
    mapping = forms.FileField(
        label="Column mapping (generic CSV only)",
        required=False,
        help_text="The JSON file that says which column holds which field.",
    )
    saved_mapping = forms.ChoiceField(label="Or a column mapping your agency saved", required=False)
    save_mapping_as = forms.CharField(
        label="Save the uploaded mapping as (optional)",
        required=False,
        max_length=100,
        help_text="For example \u201cHousing monthly extract\u201d; next time choose it instead of uploading it.",
    )

    def __init__(self, *args, saved_mappings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_mapping"].choices = [("", "None")] + [(str(m.pk), m.name) for m in saved_mappings]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.LANTERN_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The selected file must be smaller than {_megabytes(settings.LANTERN_MAX_UPLOAD_BYTES)}; "
                "ask your administrator to load bigger files with manage.py import_file"
            )
        return upload

    def clean_mapping(self):
        upload = self.cleaned_data.get("mapping")
        if not upload:
            return None
        if upload.size > MAPPING_MAX_BYTES:
            raise forms.ValidationError("The column mapping must be smaller than 256 KB")
        try:
            return b"".join(upload.chunks()).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The column mapping must be a UTF-8 JSON file") from None

    def clean_encoding(self):
        value = self.cleaned_data.get("encoding") or "utf-8"
        return value if value in ENCODINGS else "utf-8"

    def clean(self):
        data = super().clean()
        if (
            data.get("format_code") == "generic"
            and not data.get("mapping")
            and not data.get("saved_mapping")
            and "mapping" not in self.errors
        ):
            self.add_error(
                "mapping", "Select the column mapping for a generic CSV file, or one your agency saved"
            )
        if data.get("save_mapping_as") and not data.get("mapping"):
            self.add_error("save_mapping_as", "Upload a column mapping to save it")
        return data
