"""Render report models: HTML through Jinja2 templates, then PDF with WeasyPrint."""

# The PDF variants a build may ask for, the default first. Kept here, apart from the
# WeasyPrint code, so that choosing one does not load the engine.
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")
DEFAULT_PDF_VARIANT = PDF_VARIANTS[0]
