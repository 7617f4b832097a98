"""Campaigns (`score --campaigns`): re-posts of one offer grouped, contacts joining only when
specific, every link with its reason, the same campaigns in every format and with workers."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tppo_screen.batch.campaigns import CONTACT_CAP, find_campaigns, template_of
from tppo_screen.batch.options import BatchOptions
from tppo_screen.batch.score import score_file
from tppo_screen.batch.slots import slot_words
from tppo_screen.cli import app
from tppo_screen.model.artifacts import Model

HONEST = (
    "Dibutuhkan staf admin gudang untuk cabang {city}. Kualifikasi: pendidikan minimal SMA/SMK, "
    "usia {age} tahun, teliti dan bisa Microsoft Excel. Gaji sesuai UMR {city} ditambah BPJS "
    "Ketenagakerjaan dan BPJS Kesehatan, kontrak kerja tertulis. Lamaran dikirim ke kantor kami, "
    "info hubungi Ibu {name} {phone}"
)
RISKY = (
    "LOKER ADMIN CS ONLINE di {city}!! gaji {salary} juta/bln + bonus, tiket pesawat & visa "
    "ditanggung, cukup modal paspor, tidak perlu pengalaman, berangkat minggu depan dari Batam. "
    "Jangan bilang ke petugas imigrasi kerja ya, bilang aja liburan. Minat chat Kak {name} WA {phone}"
)
CITIES = ("Bekasi", "Surabaya", "Medan", "Semarang", "Makassar", "Bandung", "Palembang", "Kupang", "Manado")
NAMES = ("Rina", "Dedi", "Yuli", "Agus", "Sari", "Hendra", "Wati", "Joko")


def _phone(n: int) -> str:
    return f"0800-0000-{n:04d}"


def _reposts(template: str, count: int, seed: int, phone: str | None = None) -> list[str]:
    rng = random.Random(seed)
    return [
        template.format(
            city=rng.choice(CITIES),
            age=rng.randint(18, 35),
            name=rng.choice(NAMES),
            salary=rng.randint(12, 25),
            phone=phone or _phone(rng.randint(100, 9999)),
        )
        for _ in range(count)
    ]


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_csv(path, index=False)
    return path


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pandas()
    if path.suffix == ".jsonl":
        return pd.DataFrame([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    return pd.read_csv(path, dtype={"campaign": str}, keep_default_na=False)


def _frame(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"ad-{i:02d}" for i in range(len(texts))], "text": texts})


def test_slot_words_make_a_repost_read_like_its_offer() -> None:
    words, keys = slot_words(
        "Gaji Rp 4.500.000, kerja di Kuala Lumpur, hub Pak Budi Santoso WA 0812-3456-7890"
    )
    again, _ = slot_words("Gaji Rp 5.100.000, kerja di Surabaya, hub Pak Agus WA +62 813 9999 0000")
    assert words == again
    assert words == ["gaji", "‹uang›", "kerja", "di", "‹tempat›", "hub", "pak", "‹nama›", "wa", "‹kontak›"]
    assert keys == {"tel:081234567890"}


@pytest.mark.slow
def test_one_number_shared_by_an_honest_and_a_risky_poster_keeps_them_apart(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    # The case, failed before: the old --link-contacts chained every ad through the
    # shared number into one group "highest risk 1.000". The honest poster's one extra number
    # also appears in one risky ad (a single bridging link).
    shared = _phone(1)
    honest = [text + f" / {shared}" for text in _reposts(HONEST, 14, seed=1, phone=_phone(2))]
    risky = [text + f" atau {shared}" for text in _reposts(RISKY, 9, seed=2, phone=_phone(3))]
    risky[0] += f" {_phone(2)}"
    frame = _frame(honest + risky)
    _write(frame, tmp_path / "in.csv")
    args = [
        "score",
        str(tmp_path / "in.csv"),
        "-o",
        str(tmp_path / "out.csv"),
        "--model",
        str(tiny_model_path),
    ]
    result = CliRunner().invoke(app, [*args, "--link-contacts", "--quiet"])
    assert result.exit_code == 0, result.output
    scored = _read(tmp_path / "out.csv")
    assert scored["campaign"].tolist() == ["c0001"] * 14 + ["c0002"] * 9
    assert scored["campaign_size"].tolist() == [14] * 14 + [9] * 9
    assert "largest risky campaigns" in result.output
    assert "08xx-xxxx-x003" in result.output  # the risky poster's own number, masked
    assert "0800-0000-0003" not in result.output


def test_reposts_with_new_numbers_and_cities_are_one_campaign_with_a_template(
    tiny_model: Model, tmp_path: Path
) -> None:
    reposts = _reposts(RISKY, 6, seed=3)  # a new number, city, name and salary each time
    others = [
        "Kasir minimarket Bandung, kirim lamaran ke kantor, WA 0800-0000-0009",
        "Guru les privat matematika untuk SD dan SMP di daerah Depok, jadwal fleksibel, honor per jam.",
    ]
    frame = _frame([others[0], *reposts[:3], others[1], *reposts[3:]])
    summary = score_file(
        tiny_model,
        _write(frame, tmp_path / "in.csv"),
        tmp_path / "out.csv",
        BatchOptions(campaigns=True, id_column="id"),
    )
    scored = _read(tmp_path / "out.csv")
    assert scored["campaign"].tolist() == ["", "c0001", "c0001", "c0001", "", "c0001", "c0001", "c0001"]
    assert scored["campaign_size"].tolist() == [1, 6, 6, 6, 1, 6, 6, 6]
    [campaign] = summary.campaigns
    assert (campaign.id, campaign.size, campaign.high + campaign.medium <= 6) == ("c0001", 6, True)
    assert campaign.template.startswith("LOKER ADMIN CS ONLINE di ‹…› gaji ‹…› juta/bln + bonus")
    assert "Minat chat Kak ‹…›" in campaign.template
    assert not re.search(r"\d{4}", campaign.template)  # no phone number shows
    assert campaign.links and campaign.links[0].startswith("same template, Jaccard ")
    assert campaign.sample_ids == ["ad-01", "ad-02", "ad-03", "ad-05", "ad-06"]


def test_a_contact_of_a_few_ads_joins_them_a_contact_of_many_does_not() -> None:
    few = [
        "Admin CS Kamboja gaji 15jt, WA 0800-0000-0001",
        "Operator data Phnom Penh, hub +62 800-0000-0001 atau telegram @rekrut_asia",
        "Lowongan kasir luar negeri, DM t.me/rekrut_asia",
    ]
    hotline = [f"{text} Info lowongan lain: 0800-0000-0777" for text in _unrelated(CONTACT_CAP + 1)]
    index = find_campaigns([_frame(few + hotline)], "text")
    assert index.names(1, 3) == ["c0001"] * 3
    assert index.names(4, len(hotline)) == [""] * len(hotline)
    reasons = index.reasons_of("c0001")
    assert "shares contact 08xx-xxxx-x001 with 1 other ad" in reasons
    assert "shares contact @re… with 1 other ad" in reasons


UNRELATED = (
    "Koki restoran Padang, pengalaman dua tahun, shift pagi.",
    "Barista kedai kopi baru buka, dilatih dulu sebelum mulai bekerja.",
    "Kurir motor area Depok, bawa SIM C sendiri, bensin diganti.",
    "Satpam kompleks perumahan, tinggi badan minimal 165 cm.",
    "Perawat lansia tinggal di rumah keluarga, libur sekali seminggu.",
    "Montir bengkel mobil, paham mesin diesel lebih disukai.",
    "Penjahit konveksi kaos, borongan per lusin, bisa dikerjakan di rumah.",
    "Tukang kebun villa, mengurus taman dan kolam ikan.",
    "Sopir truk ekspedisi Jawa-Bali, wajib SIM B1 umum.",
    "Operator forklift gudang pendingin, sertifikat SIO diutamakan.",
    "Teknisi AC keliling, punya alat sendiri, komisi per unit.",
    "Guru ngaji anak-anak sore hari di musala kampung.",
)


def _unrelated(count: int) -> list[str]:
    return list(UNRELATED[:count])


def test_every_link_has_its_reason_and_no_contact_shows_whole() -> None:
    texts = [*_reposts(HONEST, 5, seed=4, phone=_phone(5)), *_reposts(RISKY, 4, seed=5)]
    texts += ["Toko roti di Medan cari karyawan, WA 0800-0000-0005", "Penjaga toko, WA 0800-0000-0006"]
    texts += ["Sopir pribadi, WA 0800-0000-0006"]
    index = find_campaigns([_frame(texts)], "text")
    links = [link for name in index.by_name for link in index.links_of(name)]
    kinds = ("same template, Jaccard ", "shares contact ")
    assert links and all(link.reason.startswith(kinds) for link in links)
    assert all(index.names(link.first, 1) == index.names(link.second, 1) != [""] for link in links)
    assert not any(re.search(r"\d{4}", link.reason) for link in links)
    assert any("shares contact 08xx-xxxx-x006 with 1 other ad" == link.reason for link in links)


@pytest.mark.parametrize("name", ["out.csv", "out.parquet", "out.jsonl"])
def test_campaign_columns_are_written_in_every_format(tiny_model: Model, tmp_path: Path, name: str) -> None:
    frame = _frame([*_reposts(RISKY, 3, seed=6), "Guru les privat di Depok, honor per jam."])
    source = _write(frame, tmp_path / "in.jsonl")
    options = BatchOptions(campaigns=True, chunk_rows=2, explain=True)
    score_file(tiny_model, source, tmp_path / name, options)
    scored = _read(tmp_path / name)
    columns = list(scored.columns)
    assert columns[columns.index("red_flags") + 1 : columns.index("red_flags") + 4] == [
        "campaign",
        "campaign_size",
        "top_terms",
    ]
    assert scored["campaign"].fillna("").tolist() == ["c0001"] * 3 + [""]
    assert [int(size) for size in scored["campaign_size"]] == [3, 3, 3, 1]


@pytest.mark.slow
def test_two_workers_give_the_same_campaigns(tiny_model: Model, tmp_path: Path) -> None:
    texts = [*_reposts(HONEST, 4, seed=7), *_reposts(RISKY, 5, seed=8), *_unrelated(3)]
    source = _write(_frame(random.Random(9).sample(texts, len(texts))), tmp_path / "in.csv")
    one = score_file(tiny_model, source, tmp_path / "one.csv", BatchOptions(campaigns=True, chunk_rows=3))
    two = score_file(
        tiny_model, source, tmp_path / "two.csv", BatchOptions(campaigns=True, chunk_rows=3, workers=2)
    )
    assert (
        _read(tmp_path / "one.csv")["campaign"].tolist() == _read(tmp_path / "two.csv")["campaign"].tolist()
    )
    assert one.campaigns == two.campaigns
    assert sorted(campaign.size for campaign in one.campaigns) == [4, 5]


def test_template_marks_each_varying_run_once() -> None:
    texts = [
        "Kerja di Taipei gaji 20 juta hub 0812-1111-2222",
        "Kerja di Osaka gaji 25 juta hub 0813-3333-4444",
    ]
    assert template_of(texts) == "Kerja di ‹…› gaji ‹…› juta hub ‹kontak›"
