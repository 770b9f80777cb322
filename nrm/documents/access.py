"""The access rules of documents (registered from ``DocumentsConfig.ready``); written in ``nrm.accounts.access``."""

from nrm.accounts.access import document_content_rule, document_rule, register_rule
from nrm.documents.models import Document, DocumentContent

register_rule(Document, document_rule)
register_rule(DocumentContent, document_content_rule)
