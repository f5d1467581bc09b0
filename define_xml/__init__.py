"""Define-XML 2.1: metadata model to define.xml, schema check and HTML rendering."""
