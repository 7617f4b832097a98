"""Build the training corpus in data/ from the raw sources and the authored ads (`make data`).

    tppo-screen corpus build --raw ../shared/data/raw --out data

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

`build` runs these steps in order: `load_sources`, then `assemble` (portal headers, pseudonyms,
masking, filters, duplicates, twins), `add_snippets`, `add_groups_and_weights`, `assign_splits`,
`write_splits`, and the statistics (`composition`, `leakage`) written to stats.json.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from collections.abc import Hashable, Sequence, Set
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
from tppo_screen.errors import DataError, InputError
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
# The raw sources `build` reads, under --raw (../shared/data/raw/SOURCES.md describes them)
LOKERID = Path("lokerid_jobs") / "job_postings_processed.csv"
MAGANGHUB = Path("maganghub_internships") / "data_lowongan_maganghub.xlsx"
DTP = Path("dtp_job_postings") / "Data Lowongan Pekerjaan 9001-12057 - Sheet1.xlsx"
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
    real = pd.concat([_lokerid(raw), _maganghub(raw), _dtp(raw)], ignore_index=True)
    real["label"], real["register"], real["red_flags"], real["modus"] = "legit", "formal", "", "portal"
    return real


def _lokerid(raw: Path) -> pd.DataFrame:
    lokerid = pd.read_csv(raw / LOKERID)
    return pd.DataFrame(
        {
            "id": "lokerid-" + lokerid["Job ID"].astype(str),
            "text": [_join(t, d) for t, d in zip(lokerid["Title"], lokerid["Description"], strict=True)],
            "source": "lokerid",
            "key": "company:" + lokerid["Company"].fillna("").astype(str),
            "company": lokerid["Company"].fillna("").astype(str),
            "header": [lokerid_header(row) for _, row in lokerid.iterrows()],
        }
    )


def _maganghub(raw: Path) -> pd.DataFrame:
    maganghub = pd.read_excel(raw / MAGANGHUB)
    companies = list(map(_company, maganghub["perusahaan"]))
    return pd.DataFrame(
        {
            "id": "maganghub-" + maganghub["id_posisi"].astype(str).str[:8],
            "text": [
                _join(t, d) for t, d in zip(maganghub["posisi"], maganghub["deskripsi_posisi"], strict=True)
            ],
            "source": "maganghub",
            "key": ["company:" + c if c else "" for c in companies],
            "company": companies,
            "header": [maganghub_header(row) for _, row in maganghub.iterrows()],
        }
    )


def _dtp(raw: Path) -> pd.DataFrame:
    dtp = pd.read_excel(raw / DTP)
    return pd.DataFrame(
        {
            "id": "dtp-" + dtp["No"].astype(str),
            "text": [_join(t, d) for t, d in zip(dtp["Pekerjaan"], dtp["Deskripsi Pekerjaan"], strict=True)],
            "source": "dtp",
            "key": "",
            "company": list(map(_dtp_company, dtp["Deskripsi Pekerjaan"])),
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


def check_sources(raw: Path, out: Path) -> None:
    """An `InputError` naming what is missing when `raw` lacks a raw source or `out` lacks the
    hand-written (authored/) or real-world (real/) texts."""
    if not raw.is_dir():
        raise InputError(f"--raw {raw}: no such folder (it holds the raw sources, e.g. ../shared/data/raw)")
    missing = [str(raw / path) for path in (LOKERID, MAGANGHUB, DTP) if not (raw / path).is_file()]
    missing += [str(out / part) for part in ("authored", "real") if not (out / part).is_dir()]
    if missing:
        raise InputError(f"the corpus build needs {', '.join(missing)}: not found")


def load_sources(raw: Path, out: Path) -> pd.DataFrame:
    """Every source in one frame, as read: the portal ads of `raw`, the hand-written ads of
    `out`/authored and the real-world texts of `out`/real (those of `out`/real/heldout marked
    `heldout`). Ids must be unique."""
    corpus = pd.concat(
        [
            load_real(raw),
            load_authored(out / "authored"),
            real_frame(read_real(sorted((out / "real").glob("*.jsonl")))),
            real_frame(read_real(sorted((out / "real" / "heldout").glob("*.jsonl")))).assign(heldout=True),
        ],
        ignore_index=True,
    )
    repeated = corpus.loc[corpus["id"].duplicated(), "id"].tolist()
    if repeated:
        raise DataError(f"ids must be unique; repeated: {repeated[:5]}")
    corpus["twin_of"] = corpus["twin_of"].fillna("")
    return corpus


def with_headers(corpus: pd.DataFrame) -> list[str]:
    """The texts with their portal header under the title (a twin takes its original's)."""
    headers = corpus.set_index("id")["header"].dropna().to_dict()
    return [
        with_header(text, headers.get(twin_of or row_id, ""))
        for text, row_id, twin_of in zip(corpus["text"], corpus["id"], corpus["twin_of"], strict=True)
    ]


def pseudonymised(corpus: pd.DataFrame) -> list[str]:
    """The texts, with an invented company (`privacy.pseudonym`) in place of the real advertiser
    in every high-risk twin of a real ad."""
    companies = corpus.set_index("id")["company"].dropna().to_dict()
    return [
        replace_company(text, companies.get(twin_of, ""), pseudonym(row_id)) if label == "high_risk" else text
        for text, row_id, twin_of, label in zip(
            corpus["text"], corpus["id"], corpus["twin_of"], corpus["label"], strict=True
        )
    ]


def masked(corpus: pd.DataFrame) -> pd.Series:
    """The texts with personal data masked (`privacy.mask_people`). Real-world texts come masked
    by their importer (scripts/import_real_world.py) and are left alone: name patterns would mask
    brands in them ("atas nama Shopee")."""
    real_world = corpus["source"].str.startswith("real_")
    texts = corpus["text"].copy()
    texts[~real_world] = texts[~real_world].map(mask_people)
    return texts


def drop_unusable(corpus: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of at least MIN_WORDS words, in Indonesian unless hand-written or real-world; and the
    number of rows dropped per source."""
    n_words = corpus["text"].str.split().map(len)
    written = corpus["source"].str.startswith(HAND_WRITTEN)
    real_world = corpus["source"].str.startswith("real_")
    keep = (n_words >= MIN_WORDS) & ((corpus["language"] == "id") | written | real_world)
    return corpus[keep].copy(), _per_source(corpus[~keep])


def drop_duplicates(corpus: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows whose normalised text (column `normalized`, added) came before, dropped; and the
    number of rows dropped per source."""
    corpus["normalized"] = corpus["text"].map(normalize)
    duplicated = corpus.duplicated("normalized")
    return corpus[~duplicated].reset_index(drop=True), _per_source(corpus[duplicated])


def assemble(raw: Path, out: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every source in one frame: portal headers, invented companies for high-risk twins,
    masking, the language and length filters and exact duplicates dropped (with counts)."""
    corpus = load_sources(raw, out)
    corpus["text"] = with_headers(corpus)
    corpus["text"] = pseudonymised(corpus)
    corpus["text"] = masked(corpus)
    corpus["language"] = corpus["text"].map(guess_language)
    corpus, dropped = drop_unusable(corpus)
    corpus, duplicates = drop_duplicates(corpus)
    corpus["origin"] = corpus["source"].map(origin_of)
    link_twins(corpus)
    return corpus, {"dropped_non_indonesian_or_short": dropped, "dropped_exact_duplicates": duplicates}


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


def assign_splits(corpus: pd.DataFrame, seed: int, pinned: Set[str] = frozenset()) -> pd.Series:
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


def add_groups_and_weights(corpus: pd.DataFrame) -> None:
    """Add (in place) each row's `group` (`assign_groups`) and training `weight`
    (`sample_weights`), and fill the empty `snippet_of` and `source_url` cells."""
    corpus["group"] = assign_groups(corpus)
    corpus["weight"] = sample_weights(corpus).round(4)
    corpus["snippet_of"] = corpus["snippet_of"].fillna("") if "snippet_of" in corpus else ""
    corpus["source_url"] = corpus["source_url"].fillna("")


def pinned_listings(out: Path) -> list[str]:
    """The ids of the demo listings already in `out`/samples/listings.csv (none if absent)."""
    listings = out / "samples" / "listings.csv"
    return pd.read_csv(listings, dtype=str)["id"].tolist() if listings.exists() else []


def write_splits(
    corpus: pd.DataFrame, split: pd.Series, out: Path, seed: int, pinned: Sequence[str]
) -> dict[str, int]:
    """Write train.csv, test.csv, real/test.csv and samples/listings.csv (`demo_sample` of the
    test split) under `out`; return their row counts."""
    train, test = corpus.loc[split == "train", COLUMNS], corpus.loc[split == "test", COLUMNS]
    real_test = corpus.loc[split == "real_test", COLUMNS]
    out.mkdir(parents=True, exist_ok=True)
    train.to_csv(out / "train.csv", index=False)
    test.to_csv(out / "test.csv", index=False)
    real_test.to_csv(out / "real" / "test.csv", index=False)
    samples = demo_sample(test, seed, keep=pinned)
    (out / "samples").mkdir(exist_ok=True)
    samples.to_csv(out / "samples" / "listings.csv", index=False)
    return {"train": len(train), "test": len(test), "real_test": len(real_test), "samples": len(samples)}


def composition(corpus: pd.DataFrame, split: pd.Series) -> dict[str, Any]:
    """What the corpus holds: counts by origin, source, register and label, the real-world texts
    by split and kind, short texts, twins, red flags and groups."""
    real_world = corpus[corpus["source"].str.startswith("real_")]
    whole = corpus["origin"] != "snippet"
    return {
        "by_origin_and_label": _counts(corpus, ["origin", "label"]),
        "by_source_and_label": _counts(corpus, ["source", "label"]),
        "by_register_and_label": _counts(corpus, ["register", "label"]),
        "real_world": {
            "by_split_and_label": _counts(real_world.assign(split=split), ["split", "label"]),
            "by_kind_modus_label": _counts(real_world, ["source", "modus", "label"]),
        },
        "short_texts_by_label": _counts(
            corpus[corpus["text"].str.split().map(len) <= SHORT_WORDS], ["origin", "label"]
        ),
        "twin_pairs": int((corpus["twin_of"] != "").sum()),
        "high_risk_ads_per_red_flag": flag_counts(corpus[(corpus["label"] == "high_risk") & whole]),
        "groups": int(corpus["group"].nunique()),
        "largest_group": int(corpus["group"].value_counts().max()),
    }


def leakage(corpus: pd.DataFrame, split: pd.Series, seed: int) -> dict[str, Any]:
    """How varied the whole texts are (`diversity`; a snippet is a part of its ad by design) and
    how far style or length alone tell the labels apart (`style`) on the labelled splits."""
    whole = corpus["origin"] != "snippet"
    labelled = corpus[~split.isin(["real_test", "dropped"])]
    return {
        "diversity": diversity_report(
            corpus[whole].reset_index(drop=True), normalized=corpus.loc[whole, "normalized"].tolist()
        ),
        "style_only_roc_auc": round(style_only_auc(labelled, seed=seed), 4),
        "length_only_roc_auc": round(length_only_auc(labelled, seed=seed), 4),
    }


def build(raw: Path, out: Path, seed: int = SEED) -> dict[str, Any]:
    """Rebuild the corpus files under `out` from the raw sources in `raw` and the hand-written
    and real-world texts under `out` (see the module docstring); return the statistics, which
    are also written to `out`/stats.json. Same inputs and seed, same files."""
    check_sources(raw, out)
    logger.info("reading the sources: %s, %s", raw, out)
    corpus, dropped = assemble(raw, out)
    logger.info("cutting snippets")
    corpus = add_snippets(corpus, seed)
    logger.info("grouping %d texts", len(corpus))
    add_groups_and_weights(corpus)
    pinned = pinned_listings(out)
    split = assign_splits(corpus, seed, set(pinned))
    rows = write_splits(corpus, split, out, seed, pinned)
    logger.info(
        "wrote %s under %s; computing statistics", ", ".join(f"{n} {k}" for k, n in rows.items()), out
    )
    stats = {
        "rows": rows,
        "heldout_dropped_as_seen": corpus.loc[split == "dropped", "id"].tolist(),
        **composition(corpus, split),
        **dropped,
        **leakage(corpus, split, seed),
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats


def _counts(frame: pd.DataFrame, by: list[str]) -> list[dict[Hashable, Any]]:
    return frame.groupby(by).size().rename("n").reset_index().to_dict(orient="records")


def _per_source(frame: pd.DataFrame) -> dict[str, int]:
    """How many rows of `frame` come from each source (most first)."""
    return {str(source): int(n) for source, n in frame["source"].value_counts().items()}


def link_twins(corpus: pd.DataFrame) -> None:
    """Give each counterfactual twin its original's grouping key (in place), so that a grouped
    split keeps the pair on one side; a twin whose original is not in the corpus is an error."""
    index = pd.Series(corpus.index, index=corpus["id"])
    for i in corpus.index[corpus["twin_of"] != ""]:
        original = str(corpus.at[i, "twin_of"])
        if original not in index:
            raise DataError(f"twin {corpus.at[i, 'id']!s}: its original {original!r} is not in the corpus")
        j = index[original]
        if not corpus.at[j, "key"]:
            corpus.at[j, "key"] = f"twin:{original}"
        corpus.at[i, "key"] = str(corpus.at[j, "key"])


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
