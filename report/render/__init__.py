"""Render report models: HTML through Jinja2 templates, then PDF with WeasyPrint."""
