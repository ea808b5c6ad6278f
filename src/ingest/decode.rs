//! Bytes → text: UTF-8 (± BOM), UTF-16 with BOM, or GB18030/GBK, detected, never guessed silently.

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};

/// Decoded text and the encoding it was read as.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Decodes `bytes`, or says why it cannot be read as text.
///
/// With `forced` the given encoding is used; otherwise a BOM decides, then
/// valid UTF-8, then GB18030 if chardetng agrees it is Chinese. Undecodable
/// bytes are an error with their offset, never replacement characters.
pub fn decode(bytes: &[u8], forced: Option<&str>) -> Result<Decoded, String> {
    if let Some(label) = forced {
        let enc = Encoding::for_label(label.as_bytes())
            .ok_or_else(|| format!("unknown encoding `{label}`"))?;
        return strict(bytes, enc);
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return strict(&bytes[bom_len..], enc);
    }
    // Text without a UTF-16 BOM never holds NUL: it is a binary file (or UTF-16 without BOM).
    if bytes.contains(&0) {
        return Err("binary data (NUL bytes), not text; a UTF-16 file needs its BOM".into());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: s.to_string(),
            encoding: "UTF-8",
        });
    }
    // Chinese statistics files that are not UTF-8 are GB18030 in practice: a strict
    // reading where nine in ten non-ASCII characters are Chinese is taken without
    // asking the detector.
    let gb = strict(bytes, GB18030);
    if let Ok(d) = &gb {
        let (mut cjk, mut non_ascii) = (0usize, 0usize);
        for c in d.text.chars().filter(|c| !c.is_ascii()) {
            non_ascii += 1;
            // Hanzi, and the full-width and CJK punctuation Chinese text is set with.
            cjk += usize::from(
                matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}' | '\u{2018}'..='\u{201d}' | '\u{2026}' | '\u{2014}'),
            );
        }
        if non_ascii > 0 && cjk * 10 >= non_ascii * 9 {
            return gb;
        }
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    // The first KiB tells the encoding as well as the whole file does (some
    // 500 Chinese characters).
    let sample = &bytes[..bytes.len().min(1024)];
    det.feed(sample, sample.len() == bytes.len());
    let guess = det.guess(None, chardetng::Utf8Detection::Deny);
    if guess == GB18030 || guess.name() == "GBK" {
        return gb;
    }
    Err(format!(
        "not UTF-8 or GB18030 (it looks like {}); convert it to UTF-8, or set `encoding = \"...\"` on its [[sources]] entry",
        guess.name()
    ))
}

fn strict(bytes: &[u8], enc: &'static Encoding) -> Result<Decoded, String> {
    let enc = if enc.name() == "GBK" { GB18030 } else { enc };
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors {
        let offset = first_bad_offset(bytes, enc);
        return Err(format!(
            "bytes that are not valid {} at byte offset {offset}",
            enc.name()
        ));
    }
    let name = match enc {
        e if e == UTF_8 => "UTF-8",
        e if e == UTF_16LE => "UTF-16LE",
        e if e == UTF_16BE => "UTF-16BE",
        e if e == GB18030 => "GB18030",
        e => e.name(),
    };
    Ok(Decoded {
        text: text.into_owned(),
        encoding: name,
    })
}

fn first_bad_offset(bytes: &[u8], enc: &'static Encoding) -> usize {
    let mut dec = enc.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3 + 16);
    let mut consumed = 0;
    loop {
        let (res, read) =
            dec.decode_to_string_without_replacement(&bytes[consumed..], &mut out, true);
        match res {
            encoding_rs::DecoderResult::Malformed(bad, _) => return consumed + read - bad as usize,
            encoding_rs::DecoderResult::InputEmpty => return bytes.len(),
            encoding_rs::DecoderResult::OutputFull => {
                consumed += read;
                out.reserve(bytes.len());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("园区,1".as_bytes(), None).unwrap().text, "园区,1");
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("园区".as_bytes());
        assert_eq!(decode(&b, None).unwrap().text, "园区");
    }

    #[test]
    fn gb18030_detected() {
        let (bytes, _, _) = GB18030.encode("园区名称,指标名称,规上工业总产值,1至8月同比增长12.5%");
        let d = decode(&bytes, None).unwrap();
        assert_eq!(d.encoding, "GB18030");
        assert!(d.text.contains("规上工业总产值"));
    }

    #[test]
    fn utf16_with_bom() {
        let mut b = vec![0xFF, 0xFE];
        for u in "园区".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&b, None).unwrap().text, "园区");
    }

    #[test]
    fn garbage_is_an_error_not_mojibake() {
        assert!(
            decode(&[0x00, 0x01, 0xFF, 0xFE, 0x00], None).is_err()
                || decode(&[0x00, 0x01, 0xFF], None).is_err()
        );
        let e = decode(&[b'a', 0xFF, 0xFF, 0xFF, b'b'], None).unwrap_err();
        assert!(e.contains("UTF-8") || e.contains("offset"), "{e}");
    }
}
