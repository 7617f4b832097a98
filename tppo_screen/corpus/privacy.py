"""Mask personal data before anything derived from raw sources is shown, stored or committed."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from tppo_screen.model.text import EMAIL, HANDLE, MASKED_HANDLE, PHONE

MASKED_PHONE = "08xx-xxxx-xxxx"
MASKED_EMAIL = "<email>"
MASKED_NAME = "<nama>"

# A person's name after an honorific or a contact label: "Bapak Ferli", "CP: Rina Sari",
# "a.n. Dedi". Words that commonly follow these labels without being names are kept.
_NOT_NAMES = frozenset(
    (
        "kota rumah tangga ibu bapak hrd admin kami kita anda saya kantor perusahaan pt cv owner "
        "direktur manager manajer supervisor staff staf kepala guru dosen dokter bidan perawat "
        "pimpinan pemilik kedokteran rt rw lurah camat bupati presiden menteri the wa whatsapp "
        "telegram email no nomor hp telp di dan yang untuk dengan atau via ke bisa silakan "
        "segera info"
    ).split()
)
_HONORIFIC = (
    r"(?:Bapak|Bpk\.?|Pak|Ibu|Bu|Mbak|Mba|Sdr\.?|Sdri\.?|Kak|Bang|Cik|Koh|Ci|"
    r"CP|C\.P\.|Contact\s+Person|Narahubung|a\.\s?n\.?|atas\s+nama)"
)
_NAMED = re.compile(rf"\b({_HONORIFIC})(\s*[:.]?\s+)([A-Z][a-z]{{2,}}(?:\s+[A-Z][a-z]{{2,}}){{0,2}})")
_TME = re.compile(r"\b(t\.me|wa\.me)/(?!08xx)([A-Za-z0-9_+]{3,})", re.IGNORECASE)


def _mask_phone(match: re.Match[str]) -> str:
    country = re.match(r"(?:\+|00)(\d{1,3})", match.group(0))
    if country and not country.group(1).startswith("62"):
        return f"+{country.group(1)} xx-xxxx-xxxx"
    return MASKED_PHONE


def mask_personal_data(text: str) -> str:
    """Replace phone numbers with `08xx-xxxx-xxxx` (foreign: `+CC xx-xxxx-xxxx`) and e-mail
    addresses with `<email>`. Already-masked text is left as it is. The text is NFKC-normalised
    first, so full-width digits cannot hide a number."""
    text = unicodedata.normalize("NFKC", text)
    text = EMAIL.sub(MASKED_EMAIL, text)
    return PHONE.sub(_mask_phone, text)


def mask_contacts(text: str) -> str:
    """Phone numbers, e-mail addresses and t.me/wa.me links masked, every other character kept
    as written (fancy fonts and look-alike letters in a real post are evidence of obfuscation).
    A number that only NFKC normalisation reveals (full-width digits) is masked too: then the
    text comes back normalised."""
    masked = _TME.sub(lambda m: f"{m.group(1)}/<akun>", PHONE.sub(_mask_phone, EMAIL.sub(MASKED_EMAIL, text)))
    normalised = unicodedata.normalize("NFKC", masked)
    revealed = mask_personal_data(normalised)
    return masked if revealed == normalised else revealed


def _mask_name(match: re.Match[str]) -> str:
    words = match.group(3).split()
    kept: list[str] = []
    for word in words:
        if word.lower() in _NOT_NAMES:
            break
        kept.append(word)
    if not kept:
        return match.group(0)
    rest = match.group(3)[len(" ".join(kept)) :]
    return f"{match.group(1)}{match.group(2)}{MASKED_NAME}{rest}"


def mask_people(text: str) -> str:
    """`mask_personal_data` plus person names after honorifics or contact labels (`<nama>`),
    Telegram/Instagram handles (`@<akun>`) and t.me/wa.me links. For real ads from raw sources;
    authored ads contain only invented names."""
    text = mask_personal_data(text)
    text = _NAMED.sub(_mask_name, text)
    text = HANDLE.sub(MASKED_HANDLE, text)
    return _TME.sub(lambda m: f"{m.group(1)}/<akun>", text)


def mask_sent_ad(text: str) -> str:
    """A real ad someone sent us (a correction, `tppo_screen.feedback`): contacts masked as in
    `data/real/` (`mask_contacts`: every other character kept as written), plus person names
    after honorifics or contact labels (`<nama>`) and handles (`@<akun>`)."""
    text = _NAMED.sub(_mask_name, mask_contacts(text))
    return HANDLE.sub(MASKED_HANDLE, text)


# Invented company names for high-risk twins of real ads: a real advertiser's name must never
# stand next to red flags we wrote into its ad. Built from words that are common in real
# Indonesian company names, so the pseudonyms carry no label signal of their own.
_PSEUDONYM_WORDS = (
    (
        "Sinar",
        "Cahaya",
        "Bina",
        "Mitra",
        "Karya",
        "Tunas",
        "Prima",
        "Mega",
        "Dwi",
        "Tri",
        "Surya",
        "Bintang",
        "Graha",
        "Cipta",
        "Harapan",
        "Mulia",
        "Anugerah",
        "Berkat",
    ),
    (
        "Abadi",
        "Sejahtera",
        "Mandiri",
        "Nusantara",
        "Utama",
        "Jaya",
        "Makmur",
        "Persada",
        "Sentosa",
        "Lestari",
        "Gemilang",
        "Perkasa",
        "Sukses",
        "Indah",
        "Sakti",
        "Pratama",
    ),
)
_LEGAL_FORM = re.compile(r"^\s*(?:PT|CV|UD|PD)\.?\s+|\s*,?\s*Tbk\.?\s*$", re.IGNORECASE)


def pseudonym(key: str) -> str:
    """A stable invented company name for `key` (same key, same name; no randomness)."""
    digest = int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16)
    first, second = _PSEUDONYM_WORDS
    return f"{first[digest % len(first)]} {second[(digest // len(first)) % len(second)]}"


def replace_company(text: str, company: str, replacement: str) -> str:
    """Replace a company's name in `text`, ignoring case; a legal form (PT, CV, Tbk) around it
    stays, so "PT Maju Tbk" becomes "PT <replacement> Tbk"."""
    name = _LEGAL_FORM.sub("", _LEGAL_FORM.sub("", company)).strip()
    if len(name) < 4:
        return text
    return re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", replacement, text, flags=re.IGNORECASE)
