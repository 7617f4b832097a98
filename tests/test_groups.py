import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from tppo_screen.corpus.groups import near_duplicate_groups

BASE = (
    "Dicari admin customer service untuk perusahaan investasi di Phnom Penh Kamboja dengan gaji "
    "lima belas juta per bulan tanpa pengalaman paspor dibantu tiket ditanggung hubungi WA"
)


def test_near_duplicates_share_a_group_and_distinct_ads_do_not() -> None:
    texts = [
        BASE,
        BASE.replace("lima belas", "delapan belas") + " sekarang juga",  # re-post with edits
        "Lowongan staf gudang di Cikarang, lulusan SMA, shift pagi, gaji UMK, BPJS, datang ke kantor.",
        "Guru matematika SMP swasta di Malang, S1 pendidikan, mengajar kelas 7 sampai 9, kirim CV.",
    ]
    groups = near_duplicate_groups(texts)
    assert groups[0] == groups[1]
    assert len({groups[0], groups[2], groups[3]}) == 3


def test_keys_join_ads_from_the_same_advertiser() -> None:
    texts = ["Kasir toko di Solo, gaji UMK, datang langsung", "Staf admin gudang di Solo, lulusan D3"]
    assert (
        near_duplicate_groups(texts, keys=["company:A", "company:A"])[0]
        == near_duplicate_groups(texts, keys=["company:A", "company:A"])[1]
    )
    groups = near_duplicate_groups(texts, keys=["company:A", "company:B"])
    assert groups[0] != groups[1]


def test_grouped_split_never_separates_a_group() -> None:
    texts = [f"{BASE} nomor {i % 3}" for i in range(12)] + [
        f"iklan unik nomor {i} tentang {w}"
        for i, w in enumerate("kasir guru sopir satpam perawat teknisi koki barista".split())
    ]
    y = np.array([1] * 12 + [0] * 8)
    groups = near_duplicate_groups(texts)
    for train, test in StratifiedGroupKFold(n_splits=2).split(texts, y, groups):
        assert not set(groups[train]) & set(groups[test])
