"""Photo evidence: the index of a station's photo folder, matching ledger names to files, and the checks.

``scan`` reads image files (size, SHA-256, perceptual fingerprint, EXIF time,
GPS position, camera, software, pixel size, a small thumbnail); ``sgzlib.store.photo_index``
keeps the index in the database; ``match`` finds the file a ledger cell
names; ``checks`` turns both into per-record findings with Chinese reasons.
Whether a finding stops a service from counting is the catalogue's setting,
applied in ``sgzlib.indicators`` (one home per counting rule).
"""
