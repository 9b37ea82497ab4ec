"""Synthetic posts for the unattended-operation tests: a social export that grows as time passes.

Every post has a unique id, URL and text (so nothing merges by accident); every fifth one reads like a
hoax or a threat about a kecamatan, so runs raise alerts too. Written by the tests, not real data.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

DISTRICTS = ("Omben", "Camplong", "Torjun", "Ketapang", "Robatal", "Sreseh", "Jrengik")
ORDINARY = (
    "Warga {d} gotong royong membersihkan balai desa menjelang pemungutan suara, pos {n}.",
    "KPU Sampang membagikan undangan memilih di {d}; petugas KPPS siap bertugas, catatan {n}.",
    "Pengajian rutin di {d} malam ini mengajak jamaah menjaga Pilkada damai, nomor {n}.",
    "Harga cabai di pasar {d} turun minggu ini menurut pedagang, laporan {n}.",
)
HOTTER = (
    "INFO PENTING!!! Kotak suara di {d} katanya sudah diisi duluan, sebarkan sebelum dihapus {n}",
    "Awas, warga {d} yang tidak memilih paslon kami akan didatangi malam ini, ingat itu {n}",
    "Besok subuh ada amplop serangan fajar Rp100 ribu per rumah di {d}, ambil saja {n}",
)


def post(n: int, when: datetime) -> dict:
    district = DISTRICTS[n % len(DISTRICTS)]
    templates = HOTTER if n % 5 == 0 else ORDINARY
    text = templates[n % len(templates)].format(d=district, n=n)
    return {
        "id": f"p-{n:06d}",
        "platform": "facebook",
        "author": f"akun_{n % 37}",
        "created_at": when.isoformat(),
        "url": f"https://social.example/p/{n:06d}",
        "text": text,
    }


def append_posts(
    path: Path, start: int, count: int, when: datetime, *, spread: timedelta = timedelta(minutes=5)
) -> list[str]:
    """Append posts ``start .. start+count-1`` published within ``spread`` before ``when``; their ids."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = []
    with path.open("a", encoding="utf-8") as f:
        for i in range(count):
            n = start + i
            at = when - spread + spread * (i / max(count, 1))
            f.write(json.dumps(post(n, at), ensure_ascii=False) + "\n")
            ids.append(f"p-{n:06d}")
    return ids


def export_source(name: str, path: Path) -> dict:
    return {
        "name": name,
        "kind": "social_export",
        "location": str(path),
        "trust": 0.3,
        "options": {"format": "jsonl"},
        "silent_after_hours": None,
    }


def region_config(sources: list[dict], **extra) -> dict:
    """The bundled Sampang calendar, districts and actors with ``sources`` only."""
    from pantau.settings import load_settings

    config = load_settings(None).region_config.model_dump(mode="json")
    config["sources"] = sources
    config.update(extra)
    return config
