"""Pure file-format layer of the import pipeline (no Django): parsers/validators for the files partner
agencies produce, and writers.  See docs/data-formats.md and ``base`` for the shared shapes."""
