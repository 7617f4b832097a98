"""Build the training corpus in data/ from the raw sources and the authored ads (`make data`).

    python -m tppo_screen.corpus.build --raw ../shared/data/raw --out data

Real legitimate ads come from Loker.id, MagangHub and the Indonesian rows of the DTP IT set;
real-world texts (offers and ads quoted from public pages, the hand-labelled Telegram posts)
from data/real/*.jsonl; high-risk ads, hard negatives, short posts and counterfactual twins are
hand-written (data/authored/*.jsonl). Every text is masked (phones, e-mails, names after
honorifics, handles); a high-risk twin of a real ad names an invented company instead of the
real advertiser; exact duplicates are dropped; sentence-window snippets of annotated ads are
added so that length does not give the label away (`snippets`); near-duplicates,
same-advertiser ads, the texts of one source page and twins share a group. A grouped, stratified
split writes data/train.csv and data/test.csv; the held-out real-world texts of
data/real/heldout/ become data/real/test.csv.
The demo file data/samples/listings.csv is drawn from the test side only, so the shipped model
never saw it. Re-running on the same inputs gives the same files.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from tppo_screen.config import SEED
from tppo_screen.corpus.diversity import diversity_report
from tppo_screen.corpus.groups import near_duplicate_groups
from tppo_screen.corpus.privacy import mask_people, pseudonym, replace_company
from tppo_screen.corpus.realworld import read_real, real_frame
from tppo_screen.corpus.snippets import balance, candidates
from tppo_screen.corpus.style import length_only_auc, style_only_auc
from tppo_screen.errors import DataError
from tppo_screen.model.catalogue import default_catalogue
from tppo_screen.model.text import normalize

logger = logging.getLogger(__name__)
COLUMNS = [
    "id",
    "text",
    "label",
    "source",
    "origin",
    "register",
    "red_flags",
    "modus",
    "group",
    "weight",
    "language",
    "twin_of",
    "snippet_of",
    "source_url",
]
MIN_WORDS = 8
SHORT_WORDS = 30  # "short post": the length band the real-world targets name
# How much a row counts in training (chosen in grouped cross-validation on the training portion):
REAL_WEIGHT = 16.0  # a real-world text, against one long hand-written ad (4 and 8 were worse)
TEMPLATE_CAP = 3  # near-duplicates of one real-world template count as this many texts at most
SHORT_POST_WEIGHT = 4.0  # a hand-written short post (honest chat posts with a WhatsApp number are
# what the real-world texts lack)
SNIPPET_WEIGHT = 0.5  # a snippet repeats part of its ad
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
                        "source": f"{'twin' if ad.get('twin_of') else 'authored'}"
                        f"{'_short' if ad.get('format') else ''}_{ad['label']}",
                        "register": ad["register"],
                        "red_flags": ";".join(ad["red_flags"]),
                        "modus": ad["modus"],
                        "key": ad.get("group", ""),
                        "twin_of": ad.get("twin_of", ""),
                    }
                )
    return pd.DataFrame(rows)


def origin_of(source: str) -> str:
    """How a row came to be: `authored` (written by hand), `twin` (a real or authored ad edited by
    hand), `snippet` (sentences cut from an annotated ad) or `real` (written by nobody here:
    portal ads, the Telegram posts, the real-world texts of data/real/)."""
    for prefix in ("authored", "twin", "snippet"):
        if source.startswith(prefix):
            return prefix
    return "real"


def assemble(raw: Path, out: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every source in one frame: portal headers, invented companies for high-risk twins,
    masking, the language and length filters and exact duplicates dropped (with counts)."""
    corpus = pd.concat(
        [
            load_real(raw),
            load_authored(out / "authored"),
            real_frame(read_real(sorted((out / "real").glob("*.jsonl")))),
            real_frame(read_real(sorted((out / "real" / "heldout").glob("*.jsonl")))).assign(heldout=True),
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
    real_world = corpus["source"].str.startswith("real_")
    # real-world texts come masked by their importer (scripts/import_real_world.py); name
    # patterns would mask brands in them ("atas nama Shopee")
    corpus.loc[~real_world, "text"] = corpus.loc[~real_world, "text"].map(mask_people)
    corpus["language"] = corpus["text"].map(guess_language)
    n_words = corpus["text"].str.split().str.len()
    written = corpus["source"].str.startswith(HAND_WRITTEN)
    keep = (n_words >= MIN_WORDS) & ((corpus["language"] == "id") | written | real_world)
    dropped = corpus.loc[~keep, "source"].value_counts().to_dict()
    corpus = corpus[keep].copy()
    corpus["normalized"] = corpus["text"].map(normalize)
    duplicated = corpus.duplicated("normalized")
    dropped_duplicates = corpus.loc[duplicated, "source"].value_counts().to_dict()
    corpus = corpus[~duplicated].reset_index(drop=True)
    corpus["origin"] = corpus["source"].map(origin_of)
    link_twins(corpus)
    return corpus, {
        "dropped_non_indonesian_or_short": dropped,
        "dropped_exact_duplicates": dropped_duplicates,
    }


def add_snippets(corpus: pd.DataFrame, seed: int) -> pd.DataFrame:
    """`corpus` with sentence-window snippets of its annotated ads appended (`snippets`): high-risk
    windows that keep a medium/high flag of their ad, legitimate windows of legitimate ads, picked
    so that length does not tell the labels apart. Real-world texts are left whole. A snippet
    shares its ad's grouping key, so it always sits on its ad's side of a split."""
    annotated = corpus[corpus["origin"] != "real"]
    portal = corpus[(corpus["origin"] == "real") & ~corpus["source"].str.startswith("real_")]
    parents = pd.concat([annotated, portal[portal["label"] == "legit"]])
    pool = candidates(parents, default_catalogue(), seed)
    pool["normalized"] = pool["text"].map(normalize)
    pool = pool[~pool["normalized"].isin(set(corpus["normalized"]))].drop_duplicates("normalized")
    chosen = balance(corpus, pool, seed)
    chosen["source"] = "snippet_" + chosen["label"]
    chosen["origin"] = "snippet"
    chosen["language"] = chosen["text"].map(guess_language)
    chosen["twin_of"] = ""
    return pd.concat([corpus, chosen], ignore_index=True)


def assign_splits(corpus: pd.DataFrame, seed: int, pinned: set[str] = frozenset()) -> pd.Series:
    """`train`, `test` (the corpus's held-out split), `real_test` (the held-out real-world texts
    of data/real/heldout/) or `dropped` for each row, whole groups at a time. The groups of
    `pinned` ids (the demo listings, which the shipped model must never have seen) are held out
    first. A held-out real-world text that shares a group with any other text (the same page or
    a near-duplicate of a training text) is dropped: the test must hold nothing the model saw.
    The other real-world texts train; the remaining groups split 80/20."""
    split = pd.Series("train", index=corpus.index)
    real_world = corpus["source"].str.startswith("real_")
    heldout = corpus["heldout"].eq(True) if "heldout" in corpus else pd.Series(False, index=corpus.index)
    held = corpus["group"].isin(set(corpus.loc[corpus["id"].isin(pinned), "group"]))
    split[held] = "test"
    shared = corpus["group"].isin(set(corpus.loc[~heldout, "group"]))
    split[heldout] = np.where(shared[heldout], "dropped", "real_test")
    in_real = corpus["group"].isin(set(corpus.loc[real_world, "group"]))
    part = corpus[~in_real & ~held]
    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    _, test_idx = next(splitter.split(part, part["label"], part["group"]))
    split[part.index[test_idx]] = "test"
    return split


def assign_groups(corpus: pd.DataFrame) -> list[str]:
    """A group per row: near-duplicates, same advertiser or source page, twins (`groups`); a
    snippet takes its ad's group. Snippets do not link groups themselves: two ads sharing one
    boilerplate sentence are not near-duplicates."""
    parent = corpus["snippet_of"].fillna("")
    own = corpus["key"].fillna("")
    own = own.where(own != "", "ad:" + corpus["id"])
    key_of = dict(zip(corpus["id"], own, strict=True))
    keys = [key_of[ad] if ad else key_of[row] for row, ad in zip(corpus["id"], parent, strict=True)]
    groups = near_duplicate_groups(
        corpus["text"].tolist(),
        keys=keys,
        normalized=corpus["normalized"].tolist(),
        linkable=(parent == "").tolist(),
    )
    return [f"g{g:05d}" for g in groups]


def sample_weights(corpus: pd.DataFrame) -> np.ndarray:
    """How much each row counts in training: 1, except real-world texts, which count
    REAL_WEIGHT (they are what users meet), shared among near-duplicates of one template so
    that no circulating template dominates (at most TEMPLATE_CAP rows' worth each); hand-written
    short posts SHORT_POST_WEIGHT, snippets SNIPPET_WEIGHT."""
    weights = np.ones(len(corpus))
    weights[corpus["source"].str.contains("_short_").to_numpy()] = SHORT_POST_WEIGHT
    weights[(corpus["origin"] == "snippet").to_numpy()] = SNIPPET_WEIGHT
    real_world = corpus["source"].str.startswith("real_").to_numpy()
    templates = near_duplicate_groups(
        corpus["text"][real_world].tolist(), normalized=corpus["normalized"][real_world].tolist()
    )
    size = pd.Series(templates).map(pd.Series(templates).value_counts()).to_numpy()
    weights[real_world] = REAL_WEIGHT * np.minimum(1.0, TEMPLATE_CAP / size)
    return weights


def build(raw: Path, out: Path, seed: int = SEED) -> dict[str, object]:
    corpus, dropped = assemble(raw, out)
    corpus = add_snippets(corpus, seed)
    normalized = corpus["normalized"].tolist()
    corpus["group"] = assign_groups(corpus)
    corpus["weight"] = sample_weights(corpus).round(4)
    corpus["snippet_of"] = corpus["snippet_of"].fillna("") if "snippet_of" in corpus else ""
    corpus["source_url"] = corpus["source_url"].fillna("")
    listings = out / "samples" / "listings.csv"
    pinned = pd.read_csv(listings, dtype=str)["id"].tolist() if listings.exists() else []
    split = assign_splits(corpus, seed, set(pinned))
    train, test = corpus.loc[split == "train", COLUMNS], corpus.loc[split == "test", COLUMNS]
    dropped_heldout = corpus.loc[split == "dropped", "id"].tolist()
    real_test = corpus.loc[split == "real_test", COLUMNS]
    out.mkdir(parents=True, exist_ok=True)
    train.to_csv(out / "train.csv", index=False)
    test.to_csv(out / "test.csv", index=False)
    real_test.to_csv(out / "real" / "test.csv", index=False)
    samples = demo_sample(test, seed, keep=pinned)
    (out / "samples").mkdir(exist_ok=True)
    samples.to_csv(out / "samples" / "listings.csv", index=False)
    labelled = corpus[~split.isin(["real_test", "dropped"])]
    whole = (corpus["origin"] != "snippet").to_numpy()
    stats = {
        "rows": {
            "train": len(train),
            "test": len(test),
            "real_test": len(real_test),
            "samples": len(samples),
        },
        "heldout_dropped_as_seen": dropped_heldout,
        "by_origin_and_label": _counts(corpus, ["origin", "label"]),
        "by_source_and_label": _counts(corpus, ["source", "label"]),
        "by_register_and_label": _counts(corpus, ["register", "label"]),
        "real_world": {
            "by_split_and_label": _counts(
                corpus[corpus["source"].str.startswith("real_")].assign(split=split), ["split", "label"]
            ),
            "by_kind_modus_label": _counts(
                corpus[corpus["source"].str.startswith("real_")], ["source", "modus", "label"]
            ),
        },
        "short_texts_by_label": _counts(
            corpus[corpus["text"].str.split().str.len() <= SHORT_WORDS], ["origin", "label"]
        ),
        "twin_pairs": int((corpus["twin_of"] != "").sum()),
        "high_risk_ads_per_red_flag": flag_counts(corpus[(corpus["label"] == "high_risk") & whole]),
        "groups": int(corpus["group"].nunique()),
        "largest_group": int(corpus["group"].value_counts().max()),
        **dropped,
        "diversity": diversity_report(  # whole texts: a snippet is a part of its ad by design
            corpus[whole].reset_index(drop=True),
            normalized=[t for t, w in zip(normalized, whole, strict=True) if w],
        ),
        "style_only_roc_auc": round(style_only_auc(labelled, seed=seed), 4),
        "length_only_roc_auc": round(length_only_auc(labelled, seed=seed), 4),
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats


def _counts(frame: pd.DataFrame, by: list[str]) -> list[dict[str, Any]]:
    return frame.groupby(by).size().rename("n").reset_index().to_dict(orient="records")


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


def demo_sample(test: pd.DataFrame, seed: int, size: int = 100, keep: Sequence[str] = ()) -> pd.DataFrame:
    """`size` listings from the test split: the `keep` ids, in order, when they are all there
    (the demo page's gallery picks from them), else up to 45 hand-written ads (both labels) and
    real ads."""
    if keep and set(keep) <= set(test["id"]):
        return test.set_index("id").loc[list(keep), ["source", "text"]].reset_index()
    test = test[test["origin"] != "snippet"]
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
