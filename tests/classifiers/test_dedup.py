"""Near-duplicate clusters, purged splits, the sealed share and per-set random generators."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from classifiers.datasets import TrainingData
from classifiers.dedup import is_sealed, near_duplicate_clusters, purge
from classifiers.evaluation import Split
from classifiers.nested import inner_folds, outer_masks

FIXTURES = Path(__file__).parent / "fixtures"

CLAIM = (
    "Beredar pesan bahwa surat suara di kecamatan Omben sudah dicoblos lebih dulu oleh petugas "
    "sebelum hari pemungutan suara dimulai"
)
REPORT = (
    "NARASI: " + CLAIM + ". PENJELASAN: KPU Kabupaten menyatakan kabar itu tidak benar, surat "
    "suara masih tersegel di gudang logistik dan diawasi Bawaslu serta kepolisian setempat."
)
OTHER = (
    "Harga cabai rawit di pasar Srimangunan naik dua ribu rupiah per kilogram menjelang akhir pekan "
    "karena pasokan dari petani berkurang"
)


def test_a_claim_quoted_in_a_report_joins_its_cluster_and_unrelated_texts_do_not():
    texts = [CLAIM, REPORT, OTHER, CLAIM.upper() + " !!! https://t.co/x", "Mantap", "mantap."]
    keys = near_duplicate_clusters(texts).keys
    assert keys[0] == keys[1] == keys[3]  # containment, and exact after case/punctuation/URL removal
    assert keys[4] == keys[5]
    assert len({keys[0], keys[2], keys[4]}) == 3


def test_cluster_keys_do_not_depend_on_the_order_of_the_texts():
    texts = [CLAIM, REPORT, OTHER, "Mantap"]
    forward = near_duplicate_clusters(texts).keys
    backward = near_duplicate_clusters(texts[::-1]).keys[::-1]
    assert forward == backward


def test_shared_boilerplate_alone_does_not_join_texts():
    footer = " Baca juga berita lainnya hanya di portal kabar madura setiap hari ya"
    texts = [
        f"Artikel nomor {i} tentang topik {i * 7} yang berbeda sama sekali dari lainnya." + footer
        for i in range(40)
    ]
    assert len(set(near_duplicate_clusters(texts).keys)) == 40


def test_purge_drops_training_rows_that_share_a_cluster_with_the_held_out_side():
    clusters = np.array(["a", "a", "b", "c", "c"])
    train = np.array([True, False, True, True, False])
    test = ~train
    y = np.array([1, 1, 0, 1, 1])
    kept, counts = purge(train, test, clusters, y)
    assert kept.tolist() == [False, False, True, False, False]
    assert counts == {
        "train_rows_dropped": 2,
        "test_rows_with_copy_before": 2,
        "test_rows_with_copy_after": 0,
        "test_positives": 2,
        "test_positives_with_copy_before": 2,
    }


def test_outer_and_inner_folds_never_share_a_cluster():
    rng = np.random.default_rng(0)
    groups = np.array([f"g{i % 6}" for i in range(300)])
    clusters = np.array([f"c{rng.integers(0, 600)}" for _ in range(300)])
    y = (rng.random(300) < 0.3).astype(int)
    train, test, copies = outer_masks(Split("hold out g0", ("g0",)), groups, clusters, y)
    assert not set(clusters[train]) & set(clusters[test])
    assert copies["test_rows_with_copy_before"] > 0 and copies["test_rows_with_copy_after"] == 0
    pairs, kind = inner_folds(train, y, groups, clusters)
    assert kind == "groups" and len(pairs) == 3
    for inner_train, inner_test in pairs:
        assert not (inner_train & inner_test).any() and not (inner_test & ~train).any()
        assert not set(clusters[inner_train]) & set(clusters[inner_test])


def test_the_sealed_rule_is_a_fixed_share_of_clusters():
    share = np.mean([is_sealed(f"cluster-{i}") for i in range(20_000)])
    assert 0.09 < share < 0.11
    assert is_sealed("cluster-1") == is_sealed("cluster-1")


def test_sealed_and_training_parts_split_the_rows_by_cluster(tmp_path):
    data = tmp_path / "train"
    shutil.copytree(FIXTURES / "train", data)
    train = TrainingData(data, part="train", sealed_percent=30).load()
    sealed = TrainingData(data, part="sealed", sealed_percent=30).load()
    every = TrainingData(data, part="all").load()
    for key, rows in every.rows_.items():
        assert len(train.rows_[key]) + len(sealed.rows_[key]) == len(rows), key
    train_keys = {r["_cluster"] for rows in train.rows_.values() for r in rows}
    sealed_keys = {r["_cluster"] for rows in sealed.rows_.values() for r in rows}
    assert sealed_keys and not train_keys & sealed_keys


def test_a_set_is_the_same_whatever_was_built_before_it(tmp_path):
    data = tmp_path / "train"
    shutil.copytree(FIXTURES / "train", data)
    fresh = TrainingData(data, seed=3).load().hoax_set()  # draws news cut lengths from its generator
    after = TrainingData(data, seed=3).load()
    after.hoax_set()
    after.counter_set()
    after.ibrohim_set("hate_speech")
    later = after.hoax_set()
    assert (later.texts, later.labels, later.groups) == (fresh.texts, fresh.labels, fresh.groups)
    other_seed = TrainingData(data, seed=4).load().hoax_set()
    assert other_seed.texts != fresh.texts  # the seed matters
