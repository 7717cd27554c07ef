"""Reading formats: one document's bytes -> a draft article.

- `registry.py`: the formats: file extensions and content types -> reader.
- `documents.py`: a document by its kind (the registry) and charset, under the limits.
- `items.py`: what every item of a run carries (its scope and origin, or a Failure with a
  one-line reason), and the source options.
- `jsonl.py`, `epub.py`: files holding several articles (a line, a chapter each).
- `decoding.py`: bytes -> text by the declared charset, else detection; binary refused.
- `formats.py`: HTML (trafilatura), PDF (pypdf), Markdown, text and feeds -> a draft.
- `front_matter.py`: YAML front matter, read with size, alias and depth limits.
- `cleaning.py`: clean text, and the map of its offsets back to the text as given.
"""
