"""The library: every document and resolution a member may see, attachments included, cut into passages
and searchable whatever the diacritics — /documents words and /ask (handlers/library). No Telegram here.

tables.py: the tables and the search index of each backend; words.py: text into search words,
passages, numbers and excerpts; extract.py: the text of a PDF or DOCX attachment; search.py: indexing
and the search itself; answers.py: the prompt of an optional language model and the check of its
answer; browse.py: the library by kind, year and issuing unit.
"""
from __future__ import annotations

from . import answers, browse
from . import extract as _extract
from . import search as _search
from . import search as search_module  # its limits, for tests and benchmarks
from . import tables as _tables
from .extract import *  # noqa: F403
from .search import *  # noqa: F403
from .tables import *  # noqa: F403
from .words import (
                    QUERY_CHARS,
                    Excerpt,
                    Passage,
                    document_number,
                    excerpt,
                    passages,
                    query_terms,
                    query_words,
                    search_key,
)

__all__ = ["answers", "browse", "search_module", *_extract.__all__, *_search.__all__, *_tables.__all__, "QUERY_CHARS", "Excerpt", "Passage", "document_number", "excerpt",
           "passages", "query_terms", "query_words", "search_key"]
