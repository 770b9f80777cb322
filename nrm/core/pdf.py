"""PDF rendering of self-contained HTML templates (WeasyPrint), shared by every export."""

from __future__ import annotations

from django.template.loader import render_to_string


def _fetcher():
    """Return a URL fetcher that fetches nothing: the documents are self-contained."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before 65 takes a plain function

        def refuse(url: str, **kwargs):
            raise ValueError(f"not fetched: {url}")

        return refuse
    return URLFetcher(allowed_protocols=())


def render_pdf(template: str, context: dict) -> bytes:
    """Return the PDF of ``template`` rendered with ``context``."""
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url=None, url_fetcher=_fetcher()).write_pdf()
