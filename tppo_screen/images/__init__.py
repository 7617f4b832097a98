"""Posters and screenshots: score a job ad that arrives as a picture.

    decode.load_image(bytes)      → one upright RGB picture, or ImageError (what is wrong, `.kind`)
    ocr.read_text(picture)        → OcrResult: the text, each word with its box and confidence
    scoring.score_image(model, b) → ImageScore: the one scoring path's Score of the OCR text, and
                                    each flag span with the boxes of the words it covers
    annotate.annotate(picture, s) → the picture with the red flags and cues outlined

OCR is Tesseract 5 with the Indonesian and English models (`make ocr` installs them). This
package uses the model and the base layers only; batch, serving and the CLI build on it.
"""
