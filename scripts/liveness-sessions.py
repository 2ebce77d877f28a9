#!/usr/bin/env python3
"""Writes the session list `faceverify eval-liveness` reads (docs/liveness-sessions.csv) from ../shared's pairs.csv:
the first photo of each identity (NUAA's low-resolution video crops left out), one session of every kind per photo,
the next identity's photo as the second face of `other_face`. Deterministic: same pairs.csv, same list.
Usage: scripts/liveness-sessions.py ../shared/data/faces/pairs.csv > docs/liveness-sessions.csv"""
import csv
import sys

KINDS = ["bona_fide", "still_photo", "wrong_order", "out_of_sync", "no_light_response", "other_face"]

first = {}
with open(sys.argv[1], newline="") as f:
    for row in csv.DictReader(f):
        if row["source"] == "nuaa_clientface":
            continue
        for img, ident in ((row["img_a"], row["identity_a"]), (row["img_b"], row["identity_b"])):
            first.setdefault(ident, img)
photos = [first[k] for k in sorted(first)]
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["photo", "kind", "seed", "other"])
for i, photo in enumerate(photos):
    other = photos[(i + 1) % len(photos)]
    for j, kind in enumerate(KINDS):
        out.writerow([photo, kind, 1000 * i + j, other if kind == "other_face" else ""])
