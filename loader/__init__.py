"""Stage 1a: real conversations -> meta-information -> document types -> the Neo4j graph of user needs.

    read      read.py        sources -> QueryRecord            (formats, sources, language)
    extract   extract.py     QueryRecord -> ExtractionRecord   (schema + fields.yaml, extract.tmpl, normalize)
    doctypes  doctypes.py    ExtractionRecord -> DocTypeModel  (embed, merge, doctype_name.tmpl)
    load      graph_load.py  records + model -> Neo4j          (graph_rows, cypher/loader/*.cypher)

Each step takes its config model (config.py) and a :class:`wildlong.records.Counts` that counts what it kept
and dropped, by reason. ``wildlong read | extract | doctypes | load`` run them from the command line.
"""
