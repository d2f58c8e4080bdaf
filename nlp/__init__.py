"""Russian (and Kazakh/Kyrgyz) language processing: pipeline, extractors, linker.

Reads the document model of `parsers`; never imports `tracker` or `web`.
"""
