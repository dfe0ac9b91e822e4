"""Photos taken on a job: validated uploads, renditions made after commit, pluggable storage.

``models`` (Photo), ``processing`` (Pillow: sniffing, bomb checks, renditions), ``storage``
(filesystem or S3 behind one interface), ``operations`` (the rules REST and sync share),
``tasks`` (the rq rendition job) and ``wiring`` (the ``photo.register`` sync mutation).
"""
