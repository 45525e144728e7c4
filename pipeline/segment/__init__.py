"""Stage *segment*: documents → sentences (with their place in the outline) and tokens.

- :mod:`.structure` sentences with offsets, headings, outline levels, enumerations
- :mod:`.tokens`    jieba-compatible tokens (the fast engine, or jieba itself), stopwords
- :mod:`.tables`    one document's sentences and tokens as Arrow tables (a worker's job)
"""
