"""The batch report's words (Indonesian and English) and its inline style sheet (the demo page's
colours; severity is shown by colour, line style and a mark, never by colour alone)."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "title": "Laporan penyaringan lowongan kerja",
        "facts": "{rows:,} baris dari {file}, dinilai dengan model {model} dalam {seconds:.1f} dtk · "
        "dibuat {made}",
        "levels": "Baris per tingkat risiko",
        "levels_note": "Skor risiko mengurutkan iklan; skor bukan peluang bahwa iklan itu perdagangan orang. "
        "Periksa iklan berisiko tinggi lebih dulu.",
        "level_high": "tinggi",
        "level_medium": "sedang",
        "level_low": "rendah",
        "level_error": "tidak terbaca",
        "flags": "Tanda bahaya menurut frekuensi",
        "no_flags": "Tidak ada tanda bahaya di berkas ini.",
        "flag": "tanda bahaya",
        "severity": "bobot",
        "sev_high": "berat",
        "sev_medium": "sedang",
        "sev_low": "ringan",
        "ads": "iklan",
        "share": "bagian dari semua baris",
        "campaigns": "Kampanye berisiko terbesar",
        "campaigns_note": "Iklan yang menawarkan hal yang sama (templat yang sama, bagian yang berubah "
        "ditandai ‹…›), digabung hanya bila kaitannya spesifik.",
        "max_score": "skor tertinggi",
        "no_risky_campaigns": "{count:,} kampanye ditemukan, tidak satu pun berisi iklan berisiko sedang "
        "atau tinggi.",
        "examples": "contoh",
        "links": "mengapa digabung",
        "contacts": "Kontak yang muncul di beberapa iklan berisiko",
        "contact": "kontak (disamarkan)",
        "no_contacts": "Tidak ada nomor, akun atau e-mail yang muncul di lebih dari satu iklan berisiko.",
        "contacts_note": "Nomor telepon/WhatsApp, akun Telegram dan e-mail yang sama di lebih dari satu "
        "iklan berisiko sedang atau tinggi, yang paling banyak di iklan berisiko tinggi lebih dulu. "
        "Disamarkan sebagian di sini; lengkap di berkas hasil.",
        "contacts_pruned": "Berkas ini memiliki sangat banyak kontak: kontak yang muncul di satu iklan saja "
        "dibuang dari hitungan di tengah jalan, jadi jumlahnya bisa sedikit kurang.",
        "time": "Risiko dari waktu ke waktu",
        "time_note": "Menurut kolom {column}; {undated:,} baris tanpa tanggal yang terbaca tidak dihitung.",
        "no_dates": "Kolom {column} tidak berisi tanggal yang terbaca.",
        "share_risky": "bagian sedang atau tinggi",
        "sources": "Risiko menurut sumber",
        "sources_note": "Menurut kolom {column}; {shown} sumber dengan baris terbanyak, "
        "yang paling banyak berisiko tinggi di atas.",
        "riskiest": "Baris paling berisiko dan buktinya",
        "riskiest_note": "Kata-kata yang memicu setiap tanda bahaya ditandai di teks iklan.",
        "no_flags_row": "Tidak ada tanda bahaya dari katalog; skor datang dari kata-kata iklan.",
        "row": "baris",
        "repeats": "teks yang sama di {count:,} baris lain",
        "footer": "Dibuat oleh tppo-screen. Alat penyaring, bukan putusan: setiap iklan yang ditandai perlu "
        "diperiksa manusia sebelum ditindaklanjuti.",
    },
    "en": {
        "title": "Job-ad screening report",
        "facts": "{rows:,} rows from {file}, scored with model {model} in {seconds:.1f} s · made {made}",
        "levels": "Rows per risk level",
        "levels_note": "The risk score ranks ads; it is not the probability that an ad is trafficking. "
        "Review the high-risk ads first.",
        "level_high": "high",
        "level_medium": "medium",
        "level_low": "low",
        "level_error": "unreadable",
        "flags": "Red flags by frequency",
        "no_flags": "No red flag in this file.",
        "flag": "red flag",
        "severity": "severity",
        "sev_high": "high",
        "sev_medium": "medium",
        "sev_low": "low",
        "ads": "ads",
        "share": "share of all rows",
        "campaigns": "Largest risky campaigns",
        "campaigns_note": "Ads that are the same offer (one template, the varying parts marked ‹…›), "
        "joined only where the link is specific.",
        "max_score": "highest score",
        "no_risky_campaigns": "{count:,} campaigns found, none with an ad at medium or high risk.",
        "examples": "examples",
        "links": "why they are joined",
        "contacts": "Contacts found in several risky ads",
        "contact": "contact (masked)",
        "no_contacts": "No number, handle or e-mail appears in more than one risky ad.",
        "contacts_note": "The same phone/WhatsApp number, Telegram handle or e-mail in more than one ad at "
        "medium or high risk, those in most high-risk ads first. Partly masked here; in full in the "
        "output file.",
        "contacts_pruned": "This file has very many contacts: contacts seen in one ad only were dropped "
        "from the tally on the way, so counts may be slightly low.",
        "time": "Risk over time",
        "time_note": "By the column {column}; {undated:,} rows without a readable date are not counted.",
        "no_dates": "The column {column} holds no readable date.",
        "share_risky": "share medium or high",
        "sources": "Risk by source",
        "sources_note": "By the column {column}; the {shown} sources with the most rows, the one with the "
        "most high-risk ads on top.",
        "riskiest": "The riskiest rows and their evidence",
        "riskiest_note": "The words that fired each red flag are marked in the ad's text.",
        "no_flags_row": "No red flag of the catalogue; the score comes from the ad's words.",
        "row": "row",
        "repeats": "the same text in {count:,} more rows",
        "footer": "Made by tppo-screen. A screening aid, not a verdict: every flagged ad needs a person to "
        "check it before anything is done.",
    },
}

CSS = """
:root { --ink:#1b1f24; --muted:#545d68; --wash:#f4f5f7; --line:#c9ced6;
  --high:#b3261e; --high-bg:#fde3e1; --medium:#9a5800; --medium-bg:#ffedc2; --low:#4d5560; --low-bg:#e9ecf0;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  line-height: 1.5; color: var(--ink); background: #fff; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem 1.25rem 3rem; overflow-wrap: break-word; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.3rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0 0 .5rem; } header p, small, footer { color: var(--muted); }
nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; } nav a { color: #1a5fb4; }
.chart { max-width: 100%; height: auto; display: block; margin: .5rem 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .95rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: .85em ui-monospace, "DejaVu Sans Mono", monospace; color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; }
.card { border: 2px solid var(--line); border-radius: 10px; padding: .5rem .9rem; min-width: 8rem; }
.card .n { display: block; font-size: 1.6rem; font-weight: 700; }
.card.lv-high { border-color: var(--high); background: var(--high-bg); }
.card.lv-medium { border-color: var(--medium); background: var(--medium-bg); }
.badge { border-radius: 4px; padding: .05rem .4rem; background: var(--low-bg); }
.badge.lv-high { background: var(--high); color: #fff; }
.badge.lv-medium { background: var(--medium); color: #fff; }
.sev { font-size: .8rem; border-radius: 4px; padding: 0 .3rem; white-space: nowrap; }
.sev-high.sev { background: var(--high-bg); color: var(--high); }
.sev-medium.sev { background: var(--medium-bg); color: var(--medium); }
.sev-low.sev { background: var(--low-bg); color: var(--low); }
.risky, .campaign { border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 8px;
  padding: .75rem; margin: .75rem 0; page-break-inside: avoid; }
.risky.lv-high, .campaign.lv-high { border-left-color: var(--high); }
.risky.lv-medium, .campaign.lv-medium { border-left-color: var(--medium); }
.ad-text { white-space: pre-wrap; background: var(--wash); border-radius: 6px; padding: .6rem;
  line-height: 1.8; }
.template { white-space: pre-wrap; background: var(--wash); border-radius: 6px; padding: .6rem; }
.slot { background: #dbe7f8; border-radius: 3px; padding: 0 .15rem; color: #1a5fb4; }
.found { margin: .5rem 0 0; padding-left: 1.2rem; }
.legend { list-style: none; display: flex; gap: 1rem; padding: 0; }
.hl { color: var(--ink); border-radius: 3px; padding: .05em .1em; text-decoration-line: underline;
  text-underline-offset: .22em; text-decoration-thickness: 3px; }
.hl::before { font-size: .7em; margin-right: .15em; vertical-align: .15em; }
.sev-high.hl { background: var(--high-bg); text-decoration-color: var(--high); text-decoration-style: solid; }
.sev-high.hl::before { content: "▲"; color: var(--high); }
.sev-medium.hl { background: var(--medium-bg); text-decoration-color: var(--medium);
  text-decoration-style: dashed; }
.sev-medium.hl::before { content: "◆"; color: var(--medium); }
.sev-low.hl { background: var(--low-bg); text-decoration-color: var(--low); text-decoration-style: dotted; }
.sev-low.hl::before { content: "●"; color: var(--low); }
footer { margin-top: 2rem; border-top: 1px solid var(--line); padding-top: .5rem; font-size: .9rem; }
@media print { nav { display: none; } }
"""
