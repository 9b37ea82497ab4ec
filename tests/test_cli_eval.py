"""`pantau eval`: per-signal and per-group reports, and the command on tiny labelled files (the metrics
themselves are checked by hand in tests/classifiers/test_metrics.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

import classifiers
from classifiers import load_classifier
from classifiers.eval_report import evaluate_signals
from classifiers.metrics import signal_metrics
from pantau.cli.evaluate import GroupBy, evaluate, group_of, parse_label
from pantau.domain.errors import UnusableInputError
from pantau.domain.signals import SIGNALS

# --- reports ---------------------------------------------------------------------------------

Y = [1, 1, 0, 0, 1, 0]
P = [0.9, 0.4, 0.6, 0.1, 0.75, 0.05]


def test_evaluate_signals_groups_and_skips():
    report = evaluate_signals(
        {"hoax": Y, "sara": []},
        {"hoax": P, "sara": []},
        {"hoax": 0.5, "sara": 0.4},
        model_version="v1",
        groups={"hoax": ["a", "a", "b", "b", "a", "b"], "sara": []},
        by="source",
    )
    assert report.skipped == ["sara"] and list(report.overall) == ["hoax"]
    a, b = report.groups["a"]["hoax"], report.groups["b"]["hoax"]
    assert (a.n, a.tp, a.fn) == (3, 2, 1) and (b.n, b.fp, b.tn) == (3, 1, 2)
    assert a.precision == 1.0 and a.roc_auc is None and b.positives == 0
    d = report.to_dict()
    assert d["model_version"] == "v1" and d["by"] == "source" and d["skipped_signals"] == ["sara"]
    assert d["groups"]["b"]["hoax"]["confusion"]["fp"] == 1
    assert json.loads(json.dumps(d)) == d


def test_labels_and_groups():
    assert [parse_label(v, "sara", 1) for v in (1, 0, True, False, "1", "false", 1.0, None)] == [
        1,
        0,
        1,
        0,
        1,
        0,
        1,
        None,
    ]
    for bad in (2, "ya", 0.5, [1]):
        with pytest.raises(UnusableInputError, match="line 7: label 'sara'"):
            parse_label(bad, "sara", 7)
    assert group_of({"source": "kompas", "url": "https://x.id/a"}, GroupBy.source) == "kompas"
    assert group_of({"url": "https://www.berita.example/a/1"}, GroupBy.source) == "berita.example"
    assert group_of({}, GroupBy.source) == "unknown"
    assert group_of({"published_at": "2024-11-26T21:00:00+07:00"}, GroupBy.date) == "2024"
    assert group_of({"date": "26/11/2019"}, GroupBy.date) == "2019"
    assert group_of({"date": "kemarin"}, GroupBy.date) == "unknown"


# --- the command -----------------------------------------------------------------------------

ROWS = [
    {
        "text": "Besok pagi serangan fajar, amplop 100 ribu per kepala asal coblos nomor 2.",
        "source": "grup_wa",
        "vote_buying": 1,
        "hate_speech": 0,
    },
    {
        "text": "Ayo warga, siapa yang coblos nomor 1 dapat uang 50rb per orang di posko.",
        "source": "grup_wa",
        "vote_buying": True,
        "hate_speech": False,
    },
    {
        "text": "KPU kabupaten menggelar rapat pleno rekapitulasi suara di aula kantor.",
        "url": "https://www.berita.example/pleno",
        "vote_buying": 0,
        "hate_speech": 0,
    },
    {
        "text": "Warga antre dengan tertib di TPS 05 sejak pukul tujuh pagi.",
        "url": "https://berita.example/tps",
        "vote_buying": "0",
        "hate_speech": "0",
    },
    {
        "text": "Dasar kalian semua goblok dan bangsat, tidak tahu diri!",
        "vote_buying": 0,
        "hate_speech": 1,
        "abusive": 1,
    },
    {"text": "Baris tanpa label apa pun; tidak ikut dihitung."},
]


@pytest.fixture(scope="module")
def bundled():
    return load_classifier()


@pytest.fixture
def app(bundled, monkeypatch):
    """A tiny app like the lead's, reusing one loaded bundled model (loading is the slow part)."""
    monkeypatch.setattr(classifiers, "load_classifier", lambda model_dir=None: bundled)
    app = typer.Typer()
    app.command("eval")(evaluate)

    @app.callback()
    def main() -> None:
        """Test app."""

    return app


def _write(path, rows):
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
        encoding="utf-8",
    )
    return path


def test_eval_by_source_with_report(app, bundled, tmp_path):
    data = _write(tmp_path / "labelled.jsonl", ROWS)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["eval", "--data", str(data), "--by", "source", "--report", str(out), "--batch-size", "2"]
    )
    assert result.exit_code == 0, result.output
    for words in (
        "all lines",
        "source = grup_wa",
        "source = berita.example",
        "source = unknown",
        "vote_buying",
        "hate_speech",
        "6 lines, 5 labelled",
        "PR AUC",
        bundled.version_,
    ):
        # whitespace folded: the console wraps at 80 columns, and where depends on the temporary path
        assert words in " ".join(result.output.split()), words
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["model_version"] == bundled.version_
    assert report["thresholds"] == pytest.approx(bundled.thresholds_)
    assert report["by"] == "source" and report["lines"] == 6 and report["labelled_lines"] == 5
    assert set(report["skipped_signals"]) == set(SIGNALS) - {"vote_buying", "hate_speech", "abusive"}
    vb = report["overall"]["vote_buying"]
    assert (vb["n"], vb["positives"]) == (5, 2)
    assert sum(vb["confusion"].values()) == 5 and vb["confusion"]["tp"] == 2  # the rules catch both
    assert vb["roc_auc"] is not None and 0 <= vb["ece"] <= 1
    assert vb["pr_auc"] is not None and 0 <= vb["pr_auc"] <= 1
    c = vb["confusion"]
    assert vb["fpr"] == round(c["fp"] / (c["fp"] + c["tn"]), 4)
    abusive = report["overall"]["abusive"]
    assert abusive["n"] == 1 and abusive["roc_auc"] is None and abusive["pr_auc"] is None
    assert set(report["groups"]) == {"grup_wa", "berita.example", "unknown"}
    assert report["groups"]["grup_wa"]["vote_buying"]["positives"] == 2
    assert report["groups"]["berita.example"]["hate_speech"]["n"] == 2
    assert "abusive" not in report["groups"]["grup_wa"]


def test_eval_without_by_prints_overall_only(app, tmp_path):
    data = _write(tmp_path / "labelled.jsonl", ROWS[:4])
    result = CliRunner().invoke(app, ["eval", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "all lines" in result.output and "source =" not in result.output


@pytest.mark.parametrize(
    "rows, words",
    [
        ([ROWS[0], "{not json"], "line 2: invalid JSON"),
        ([ROWS[0], {"title": "tanpa teks", "hoax": 1}], "line 2: missing or non-string field 'text'"),
        ([{"text": "Tidak ada label di sini."}, {"text": "Di sini juga tidak."}], "no label field"),
        ([ROWS[0], {"text": "Label aneh.", "hoax": "mungkin"}], "line 2: label 'hoax'"),
    ],
)
def test_unusable_input_exit_2_one_line(app, tmp_path, rows, words):
    data = _write(tmp_path / "bad.jsonl", rows)
    result = CliRunner().invoke(app, ["eval", "--data", str(data)])
    assert result.exit_code == 2
    assert words in result.stderr and result.stderr.strip().count("\n") == 0


def test_missing_file_and_bad_by(app, tmp_path):
    result = CliRunner().invoke(app, ["eval", "--data", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "no such file" in result.stderr
    data = _write(tmp_path / "ok.jsonl", ROWS[:1])
    assert CliRunner().invoke(app, ["eval", "--data", str(data), "--by", "kota"]).exit_code == 2


def test_arrays_match_direct_scoring(bundled):
    # the command's numbers equal the metric on the classifier's own scores and thresholds
    rows = [r for r in ROWS if "vote_buying" in r]
    p = np.array([r.scores["vote_buying"] for r in bundled.score(rows)])
    y = [parse_label(r["vote_buying"], "vote_buying", 0) for r in rows]
    m = signal_metrics("vote_buying", y, p, bundled.thresholds_["vote_buying"])
    assert m.tp + m.fp == sum(("vote_buying" in r.flags) for r in bundled.score(rows))
