"""An ad's words with the parts a re-post changes replaced by slot tokens, for `campaigns`.

Recruiters re-post one offer with a new number, city, name and salary; `slot_words` makes those
re-posts read alike: contacts (phone, e-mail, @handle, links) become `‹kontak›`, amounts of money
`‹uang›`, other numbers `‹angka›`, the places of `PLACES` `‹tempat›` and a person's or company's
name after an honorific or PT/CV `‹nama›`. `mask_contact` shows a contact key (`contacts.contact_keys`)
without giving it away: `tel:081234567890` → `08xx-xxxx-x890`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tppo_screen.batch.contacts import contact_keys
from tppo_screen.model.text import EMAIL, HANDLE, PHONE, URL

CONTACT, MONEY, NUMBER, PLACE, NAME = "‹kontak›", "‹uang›", "‹angka›", "‹tempat›", "‹nama›"

# Indonesian provinces, cities and regencies that job ads name, and the destinations abroad they
# send people to. One or two words each; matched on lower-case words.
PLACES = frozenset(
    (
        "aceh bali bangka belitung banten bengkulu yogyakarta jogja jogjakarta jakarta jambi "
        "jabar jateng jatim kalbar kalsel kalteng kaltim kaltara kalimantan lampung maluku ntb ntt "
        "papua riau sulawesi sulbar sulsel sulteng sultra sulut sumbar sumsel sumut sumatera sumatra "
        "jawa gorontalo medan surabaya bandung semarang makassar palembang tangerang depok bekasi bogor "
        "batam pekanbaru padang malang denpasar samarinda balikpapan banjarmasin pontianak manado "
        "kupang mataram jayapura timika sorong ambon kendari palu mamuju ternate tarakan nunukan "
        "tawau entikong dumai cilacap cirebon tegal purwokerto solo surakarta klaten magelang kudus "
        "pati jepara kendal salatiga pekalongan sukabumi cianjur garut tasikmalaya karawang "
        "purwakarta subang indramayu majalengka kuningan serang cilegon pandeglang lebak sidoarjo "
        "gresik mojokerto jombang kediri blitar tulungagung madiun ponorogo banyuwangi jember "
        "probolinggo pasuruan lumajang situbondo bondowoso tuban lamongan bojonegoro ngawi "
        "sragen boyolali wonogiri karanganyar sleman bantul kulonprogo gunungkidul lombok sumbawa "
        "flores bima ende maumere labuan waingapu atambua tanjungpinang bintan karimun jakpus "
        "jaksel jakbar jaktim jakut cikarang cibubur bintaro serpong bsd cengkareng kuta ubud "
        "kamboja cambodia myanmar thailand bangkok laos vietnam filipina philippines manila "
        "malaysia kuala lumpur kl johor sabah sarawak penang singapura singapore brunei taiwan "
        "taipei hongkong jepang japan tokyo osaka korea seoul busan china tiongkok dubai abu dhabi "
        "qatar doha saudi arab arabia riyadh jeddah mekkah madinah kuwait oman bahrain turki "
        "turkey australia sydney perth polandia poland jerman germany eropa europe phnom penh "
        "sihanoukville poipet bavet myawaddy shwe kokko batavia pusat barat timur selatan utara "
        "tengah kota kab kabupaten penh phnom dhabi kokko hong kong kuala lumpur"
    ).split()
)

# Each contact pattern, and what a text must hold for it to match (a quick test that saves most
# scans): e-mail before links ("a (at) b.com"), links before numbers (wa.me/62…).
_CONTACTS = (
    (EMAIL, ("@", "at)", "at]", "<email>")),
    (URL, ("http", "www.", ".com", ".id", ".net", ".org", ".ly", ".me", ".co", ".io")),
    (PHONE, tuple("0123456789")),
    (HANDLE, ("@",)),
)
_RUN = re.compile(r"[+(0-9][0-9xX\s.\-–—/()+]{3,}")  # where a phone number may be: see `_phones`
_AMOUNT = re.compile(r"\d[\d.,]*(?:\s?(?P<scale>jt|juta|jutaan|rb|ribu|k)\b)?", re.IGNORECASE)
_TOKEN = re.compile(r"‹\w+›|[^\W_]+")
CURRENCIES = frozenset("rp idr usd rm sgd myr ntd hkd sar aed krw yen".split())
HONORIFICS = frozenset("bapak bpk pak ibu bu mbak mba mas sdr sdri kak ka bang cik koh ci cp pt cv".split())
_NOT_NAMES = frozenset(
    "wa whatsapp hp telp tlp telegram tg dm ig line email no nomor di ke dan atau via".split()
)
_SLOT_TOKENS = frozenset((CONTACT, MONEY, NUMBER, PLACE, NAME))


def slot_words(text: str) -> tuple[list[str], set[str]]:
    """The lower-case words of `text`, with contacts, money, numbers, places and names as slot
    tokens (runs of one slot collapse into one: `Jakarta Barat` → `‹tempat›`), and the contact
    keys (`contacts.contact_keys`) of the contacts it replaced."""
    keys: set[str] = set()

    def contact(match: re.Match[str]) -> str:
        keys.update(contact_keys(match.group()))
        return f" {CONTACT} "

    lowered = text.lower()
    for pattern, marks in _CONTACTS:
        if any(mark in lowered for mark in marks):
            text = _phones(text, contact) if pattern is PHONE else pattern.sub(contact, text)
    text = _AMOUNT.sub(lambda match: f" {MONEY if match.group('scale') else NUMBER} ", text)
    return _slotted(_TOKEN.findall(text)), keys


def _phones(text: str, replace: Callable[[re.Match[str]], str]) -> str:
    """`PHONE.sub(replace, text)`, searching only the runs of digits and separators where a
    number can be (8x faster on ads, the same result on the corpus's 26,000 texts)."""
    pieces, last = [], 0
    for run in _RUN.finditer(text):
        position, end = max(run.start(), last), min(len(text), run.end() + 1)  # +1: PHONE's (?!\w)
        while match := PHONE.search(text, position, end):  # its look-behind sees before `position`
            pieces += [text[last : match.start()], replace(match)]
            last = position = match.end()
    return "".join(pieces) + text[last:] if pieces else text


def _slotted(tokens: list[str]) -> list[str]:
    """`tokens` lower-cased, with places, names (capitalised words after an honorific or PT/CV)
    and amounts (a currency and a number) as slots, runs of one slot collapsed."""
    out: list[str] = []
    naming = 0  # capitalised words left to take as a name
    for position, token in enumerate(tokens):
        word = token.lower()
        if naming and token[:1].isupper() and word not in HONORIFICS and word not in _NOT_NAMES:
            naming -= 1
            word = NAME
        else:
            naming = 0
        if word in PLACES:
            word = PLACE
        elif word in HONORIFICS and position + 1 < len(tokens) and tokens[position + 1][:1].isupper():
            naming = 3
        elif word == NUMBER and out and out[-1] in CURRENCIES:
            out.pop()
            word = MONEY
        if word in _SLOT_TOKENS and out and out[-1] == word:
            continue
        out.append(word)
    return out


def mask_contact(key: str) -> str:
    """A contact key as an analyst may see it: the last three digits of a number, the first two
    letters of a handle, the domain of an e-mail address."""
    kind, _, value = key.partition(":")
    if kind == "tel":
        return f"{value[:2]}xx-xxxx-x{value[-3:]}"
    if kind == "tg":
        return f"@{value[:2]}…"
    return f"…@{value.partition('@')[2]}"
