"""Build the training corpus in data/ from the raw sources and the authored ads (`make data`).

    python -m tppo_screen.corpus --raw ../shared/data/raw --out data

Real legitimate ads come from Loker.id, MagangHub and the Indonesian rows of the DTP IT set;
the job posts in the Telegram dump are labelled by hand (data/labels/telegram.csv, with a reason
each); high-risk ads, hard negatives and counterfactual twins are hand-written
(data/authored/*.jsonl). Every text is masked (phones, e-mails, names after honorifics, handles);
a high-risk twin of a real ad names an invented company instead of the real advertiser; exact
duplicates are dropped; near-duplicates, same-advertiser ads and twins share a group; a grouped,
stratified split writes data/train.csv and data/test.csv. The demo file
data/samples/listings.csv is drawn from the test side only, so the shipped model never saw it.
Re-running on the same inputs gives the same files.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from tppo_screen.diversity import diversity_report
from tppo_screen.errors import DataError
from tppo_screen.groups import near_duplicate_groups
from tppo_screen.privacy import mask_people, pseudonym, replace_company
from tppo_screen.style import style_only_auc
from tppo_screen.text import normalize

logger = logging.getLogger(__name__)
SEED = 13
COLUMNS = ["id", "text", "label", "source", "register", "red_flags", "modus", "group", "language", "twin_of"]
MIN_WORDS = 8
HAND_WRITTEN = ("authored", "twin")  # source prefixes of ads written or edited by hand
_ID_WORDS = set(
    "yang dan di untuk dengan dalam ini akan dari pada atau kami anda tidak ke "
    "sebagai memiliki bisa mampu serta adalah kerja minimal pengalaman".split()
)
_EN_WORDS = set(
    "the and of to in for with you we our is are will be a an on as this "
    "experience ability skills team work".split()
)
_WORD = re.compile(r"[a-z]+")


def guess_language(text: str) -> str:
    """'id' or 'en' by counting common function words (good enough to filter job ads)."""
    words = _WORD.findall(text.lower())
    id_count = sum(word in _ID_WORDS for word in words)
    en_count = sum(word in _EN_WORDS for word in words)
    return "id" if id_count > en_count else "en"


def _join(title: object, body: object) -> str:
    parts = [str(part).strip() for part in (title, body) if isinstance(part, str) and part.strip()]
    return "\n".join(parts)


def _company(raw: object) -> str:
    try:
        value = ast.literal_eval(str(raw))
    except (ValueError, SyntaxError):
        return ""
    return str(value.get("nama_perusahaan") or "") if isinstance(value, dict) else ""


def _dtp_company(description: object) -> str:
    """The company of a DTP row written as "Title | PT Company | ..." (else empty: the second
    field is often a section name, not a company)."""
    fields = str(description).split(" | ")
    if len(fields) > 2 and re.match(r"(?:PT|CV|UD|Yayasan|Koperasi)\b", fields[1].strip()):
        return fields[1].strip()
    return ""


def _rupiah(value: float) -> str:
    return "Rp " + f"{int(value):,}".replace(",", ".")


def lokerid_header(row: pd.Series) -> str:
    """The portal's structured fields as a reader sees them above the description: company,
    location, type, salary, experience and education (salary and numbers are part of real
    listings, so a model must not learn that any amount means risk)."""
    lines = [str(row["Company"]), f"Lokasi: {row['Location']}", f"Tipe: {row['Type']}"]
    if pd.notna(row["Min Salary"]):
        salary = _rupiah(row["Min Salary"])
        if pd.notna(row["Max Salary"]) and row["Max Salary"] != row["Min Salary"]:
            salary += f" - {_rupiah(row['Max Salary'])}"
        lines.append(f"Gaji: {salary}")
    if pd.notna(row["Min Experience"]):
        years = str(int(row["Min Experience"]))
        if pd.notna(row["Max Experience"]) and row["Max Experience"] != row["Min Experience"]:
            years += f"-{int(row['Max Experience'])}"
        lines.append(f"Pengalaman: {years} tahun")
    levels = [
        name
        for column, name in (
            ("SMA/SMK/STM", "SMA/SMK"),
            ("Diploma/D1/D2/D3", "Diploma"),
            ("Sarjana/S1", "S1"),
            ("Master/S2", "S2"),
        )
        if row.get(column) == 1
    ]
    if levels:
        lines.append("Pendidikan: " + ", ".join(levels))
    return "\n".join(lines)


def maganghub_header(row: pd.Series) -> str:
    """MagangHub's structured fields: company, regency and province, quota, closing date."""
    try:
        company = ast.literal_eval(str(row["perusahaan"]))
        schedule = ast.literal_eval(str(row["jadwal"]))
    except (ValueError, SyntaxError):
        return ""
    if not isinstance(company, dict) or not isinstance(schedule, dict):
        return ""
    lines = [str(company.get("nama_perusahaan") or "")]
    regions = (company.get("nama_kabupaten"), company.get("nama_provinsi"))
    place = ", ".join(str(region).title() for region in regions if region)
    if place:
        lines.append(f"Lokasi: {place}")
    if pd.notna(row["jumlah_kuota"]):
        lines.append(f"Kuota: {int(row['jumlah_kuota'])} orang")
    closing = str(schedule.get("tanggal_pendaftaran_akhir") or "")[:10]
    if closing:
        lines.append(f"Pendaftaran sampai: {closing}")
    return "\n".join(line for line in lines if line)


def with_header(text: str, header: str) -> str:
    """Put the portal header under the title line (the first line)."""
    if not header:
        return text
    title, _, rest = text.partition("\n")
    return f"{title}\n{header}\n{rest}" if rest else f"{title}\n{header}"


def load_real(raw: Path) -> pd.DataFrame:
    """The real legitimate ads, one frame with a `key` naming the advertiser where known."""
    lokerid = pd.read_csv(raw / "lokerid_jobs" / "job_postings_processed.csv")
    maganghub = pd.read_excel(raw / "maganghub_internships" / "data_lowongan_maganghub.xlsx")
    dtp = pd.read_excel(raw / "dtp_job_postings" / "Data Lowongan Pekerjaan 9001-12057 - Sheet1.xlsx")
    frames = [
        pd.DataFrame(
            {
                "id": "lokerid-" + lokerid["Job ID"].astype(str),
                "text": [_join(t, d) for t, d in zip(lokerid["Title"], lokerid["Description"], strict=True)],
                "source": "lokerid",
                "key": "company:" + lokerid["Company"].fillna("").astype(str),
                "company": lokerid["Company"].fillna("").astype(str),
                "header": [lokerid_header(row) for _, row in lokerid.iterrows()],
            }
        ),
        pd.DataFrame(
            {
                "id": "maganghub-" + maganghub["id_posisi"].astype(str).str[:8],
                "text": [
                    _join(t, d)
                    for t, d in zip(maganghub["posisi"], maganghub["deskripsi_posisi"], strict=True)
                ],
                "source": "maganghub",
                "key": ["company:" + c if c else "" for c in map(_company, maganghub["perusahaan"])],
                "company": list(map(_company, maganghub["perusahaan"])),
                "header": [maganghub_header(row) for _, row in maganghub.iterrows()],
            }
        ),
        pd.DataFrame(
            {
                "id": "dtp-" + dtp["No"].astype(str),
                "text": [
                    _join(t, d) for t, d in zip(dtp["Pekerjaan"], dtp["Deskripsi Pekerjaan"], strict=True)
                ],
                "source": "dtp",
                "key": "",
                "company": list(map(_dtp_company, dtp["Deskripsi Pekerjaan"])),
            }
        ),
    ]
    real = pd.concat(frames, ignore_index=True)
    real["label"], real["register"], real["red_flags"], real["modus"] = "legit", "formal", "", "portal"
    return real


def load_telegram(raw: Path, labels_path: Path) -> pd.DataFrame:
    """The job posts of the Telegram dump that were labelled by hand (message_id, label, red_flags,
    reason); every other message of the dump is not a job ad and stays out."""
    labels = pd.read_csv(labels_path, dtype=str, keep_default_na=False)
    messages = (
        pd.read_csv(
            raw / "telegram_group_id" / "datasetTelegram.csv",
            usecols=["id", "message"],
            dtype=str,
            keep_default_na=False,
        )
        .drop_duplicates("id")
        .set_index("id")["message"]
    )
    missing = sorted(set(labels["message_id"]) - set(messages.index))
    if missing:
        raise DataError(f"{labels_path}: message ids not in the Telegram dump: {missing[:5]}")
    return pd.DataFrame(
        {
            "id": "telegram-" + labels["message_id"],
            "text": messages.loc[labels["message_id"]].to_numpy(),
            "source": "telegram",
            "key": "",
            "label": labels["label"],
            "register": "informal",
            "red_flags": labels["red_flags"],
            "modus": "telegram_post",
        }
    )


def load_authored(directory: Path) -> pd.DataFrame:
    """Hand-written ads from data/authored/*.jsonl (see scripts/check_authored.py)."""
    rows = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                ad = json.loads(line)
                rows.append(
                    {
                        "id": ad["id"],
                        "text": ad["text"],
                        "label": ad["label"],
                        "source": f"{'twin' if ad.get('twin_of') else 'authored'}_{ad['label']}",
                        "register": ad["register"],
                        "red_flags": ";".join(ad["red_flags"]),
                        "modus": ad["modus"],
                        "key": ad.get("group", ""),
                        "twin_of": ad.get("twin_of", ""),
                    }
                )
    return pd.DataFrame(rows)


def build(raw: Path, out: Path, seed: int = SEED) -> dict[str, object]:
    corpus = pd.concat(
        [
            load_real(raw),
            load_telegram(raw, out / "labels" / "telegram.csv"),
            load_authored(out / "authored"),
        ],
        ignore_index=True,
    )
    corpus["twin_of"] = corpus["twin_of"].fillna("")
    headers = corpus.set_index("id")["header"].dropna().to_dict()
    corpus["text"] = [
        with_header(text, headers.get(twin_of or row_id, ""))
        for text, row_id, twin_of in zip(corpus["text"], corpus["id"], corpus["twin_of"], strict=True)
    ]
    companies = corpus.set_index("id")["company"].dropna().to_dict()
    corpus["text"] = [
        replace_company(text, companies.get(twin_of, ""), pseudonym(row_id)) if label == "high_risk" else text
        for text, row_id, twin_of, label in zip(
            corpus["text"], corpus["id"], corpus["twin_of"], corpus["label"], strict=True
        )
    ]
    repeated = corpus.loc[corpus["id"].duplicated(), "id"].tolist()
    if repeated:
        raise DataError(f"ids must be unique; repeated: {repeated[:5]}")
    corpus["text"] = corpus["text"].map(mask_people)
    corpus["language"] = corpus["text"].map(guess_language)
    n_words = corpus["text"].str.split().str.len()
    written = corpus["source"].str.startswith(HAND_WRITTEN)
    keep = (n_words >= MIN_WORDS) & ((corpus["language"] == "id") | written)
    dropped = corpus.loc[~keep, "source"].value_counts().to_dict()
    corpus = corpus[keep].copy()
    corpus["normalized"] = corpus["text"].map(normalize)
    duplicated = corpus.duplicated("normalized")
    dropped_duplicates = corpus.loc[duplicated, "source"].value_counts().to_dict()
    corpus = corpus[~duplicated].reset_index(drop=True)
    link_twins(corpus)
    normalized = corpus["normalized"].tolist()
    groups = near_duplicate_groups(
        corpus["text"].tolist(), keys=corpus["key"].tolist(), normalized=normalized
    )
    corpus["group"] = [f"g{g:05d}" for g in groups]
    y = (corpus["label"] == "high_risk").to_numpy(dtype=int)
    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    _, test_idx = next(splitter.split(corpus, y, corpus["group"]))
    is_test = np.zeros(len(corpus), dtype=bool)
    is_test[test_idx] = True
    train, test = corpus.loc[~is_test, COLUMNS], corpus.loc[is_test, COLUMNS]
    out.mkdir(parents=True, exist_ok=True)
    train.to_csv(out / "train.csv", index=False)
    test.to_csv(out / "test.csv", index=False)
    samples = demo_sample(test, seed)
    (out / "samples").mkdir(exist_ok=True)
    samples.to_csv(out / "samples" / "listings.csv", index=False)
    stats = {
        "rows": {"train": len(train), "test": len(test), "samples": len(samples)},
        "by_source_and_label": corpus.groupby(["source", "label"])
        .size()
        .rename("n")
        .reset_index()
        .to_dict(orient="records"),
        "by_register_and_label": corpus.groupby(["register", "label"])
        .size()
        .rename("n")
        .reset_index()
        .to_dict(orient="records"),
        "twin_pairs": int((corpus["twin_of"] != "").sum()),
        "high_risk_ads_per_red_flag": flag_counts(corpus[corpus["label"] == "high_risk"]),
        "groups": int(corpus["group"].nunique()),
        "largest_group": int(corpus["group"].value_counts().max()),
        "dropped_non_indonesian_or_short": dropped,
        "dropped_exact_duplicates": dropped_duplicates,
        "diversity": diversity_report(corpus, normalized=normalized),
        "style_only_roc_auc": round(style_only_auc(corpus, seed=seed), 4),
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats


def link_twins(corpus: pd.DataFrame) -> None:
    """Give each counterfactual twin its original's grouping key (in place), so that a grouped
    split keeps the pair on one side; a twin whose original is not in the corpus is an error."""
    index = pd.Series(corpus.index, index=corpus["id"])
    for i in corpus.index[corpus["twin_of"] != ""]:
        original = corpus.at[i, "twin_of"]
        if original not in index:
            raise DataError(f"twin {corpus.at[i, 'id']}: its original {original!r} is not in the corpus")
        j = index[original]
        if not corpus.at[j, "key"]:
            corpus.at[j, "key"] = f"twin:{original}"
        corpus.at[i, "key"] = corpus.at[j, "key"]


def flag_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many ads carry each red-flag id (most frequent first)."""
    flags = frame["red_flags"].str.split(";").explode()
    return {str(k): int(v) for k, v in flags[flags != ""].value_counts().items()}


def demo_sample(test: pd.DataFrame, seed: int, size: int = 100) -> pd.DataFrame:
    """`size` listings from the test split: up to 45 authored ads (both labels), real ads for the rest."""
    is_authored = test["source"].str.startswith(HAND_WRITTEN)
    authored = test[is_authored].sample(n=min(45, int(is_authored.sum())), random_state=seed)
    real = test[~is_authored].sample(
        n=min(size - len(authored), int((~is_authored).sum())), random_state=seed
    )
    listings = pd.concat([authored, real]).sample(frac=1.0, random_state=seed)
    return listings[["id", "source", "text"]].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--raw", type=Path, required=True, help="folder with the raw sources (shared/data/raw)"
    )
    parser.add_argument("--out", type=Path, default=Path("data"), help="data folder to write")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(json.dumps(build(args.raw, args.out), indent=2))


if __name__ == "__main__":
    main()
