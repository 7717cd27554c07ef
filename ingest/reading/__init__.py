"""Reading formats: one document's bytes -> a draft article.

- `documents.py`: a document by its kind and charset, under the limits; what every item of
  a run carries (its scope and origin, or a Failure with a one-line reason).
- `decoding.py`: bytes -> text by the declared charset, else detection; binary refused.
- `formats.py`: HTML (trafilatura), PDF (pypdf), Markdown, text and feeds -> a draft.
- `front_matter.py`: YAML front matter, read with size, alias and depth limits.
- `cleaning.py`: clean text, and the map of its offsets back to the text as given.
"""
