"""The app's words in Bahasa Indonesia: labels for signals, verdicts, severities, statuses, roles, actions.

Code and stored values stay English (``hoax``, ``voting_day``); only what people read is translated here.
"""

from __future__ import annotations

SIGNALS = {
    "hoax": "Hoaks", "hate_speech": "Ujaran kebencian", "sara": "SARA", "abusive": "Kata kasar",
    "violence_threat": "Ancaman kekerasan", "vote_buying": "Politik uang",
    "counter_narrative": "Kontra-narasi", "silent_source": "Sumber diam", "run_failed": "Pemantauan gagal",
    "spike": "Lonjakan", "known_hoax": "Hoaks yang dikenal", "flagged_item": "Item ditandai",
}
VERDICTS = {
    "hoax": "Hoaks", "misleading": "Menyesatkan", "true": "Benar", "not_checkable": "Tidak dapat diperiksa",
    "tension_no_hoax": "Ketegangan tanpa hoaks",
}
SEVERITIES = {"low": "Rendah", "medium": "Sedang", "high": "Tinggi", "critical": "Kritis"}
STATUSES = {"open": "Terbuka", "acknowledged": "Ditangani", "resolved": "Selesai", "dismissed": "Diabaikan"}
ROLES = {"admin": "Admin", "reviewer": "Peninjau", "analyst": "Analis"}
ACTIONS = {
    "verdict": "Putusan", "note": "Catatan", "counter_narrative": "Kontra-narasi ditautkan",
    "escalate": "Dieskalasi", "dismiss": "Diabaikan",
}
LANGUAGES = {"ind": "Indonesia", "mad": "Madura", "jav": "Jawa", "eng": "Inggris", "und": "Tidak diketahui"}
STAGES = {
    "pre_election": "Sebelum pemilihan", "registration": "Pendaftaran paslon",
    "candidate_determination": "Penetapan paslon", "campaign": "Kampanye", "quiet_period": "Masa tenang",
    "voting_day": "Pemungutan suara", "counting_recapitulation": "Penghitungan dan rekapitulasi",
    "disputes": "Perselisihan hasil", "post_election": "Setelah pemilihan", "-": "Tanpa tahapan",
}


def label(table: dict[str, str], value: str | None) -> str:
    """The Indonesian label of ``value``, or the value itself when it has none ('-' for None)."""
    if value is None:
        return "-"
    return table.get(value, value)
