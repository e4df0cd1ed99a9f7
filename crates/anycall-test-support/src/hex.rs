//! Hex text for golden files and peers.

/// Hex text to bytes: `#` starts a comment (to the end of the line),
/// whitespace is ignored.
///
/// # Panics
///
/// On an odd number of digits or a character that is not a hex digit.
pub fn parse(text: &str) -> Vec<u8> {
    let digits: String = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
        .collect();
    assert!(
        digits.len().is_multiple_of(2),
        "odd number of hex digits in {text:?}"
    );
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16)
                .unwrap_or_else(|_| panic!("not a hex byte: {:?}", &digits[i..i + 2]))
        })
        .collect()
}

/// Bytes as hex text, 16 space-separated bytes per line.
pub fn lines(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .map(|line| {
            line.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Bytes as one run of hex digits, without spaces.
pub fn plain(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_spacing_are_ignored() {
        assert_eq!(parse("# head\n0a 0B # x\n\tff\n"), [0x0a, 0x0b, 0xff]);
        assert_eq!(parse("0a0b"), [0x0a, 0x0b]);
        assert!(parse("# only a comment").is_empty());
    }

    #[test]
    fn lines_hold_sixteen_bytes() {
        let bytes: Vec<u8> = (0..18).collect();
        assert_eq!(
            lines(&bytes),
            "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n10 11"
        );
        assert_eq!(parse(&lines(&bytes)), bytes);
        assert_eq!(plain(&[0, 0xab]), "00ab");
    }

    #[test]
    #[should_panic(expected = "odd number of hex digits")]
    fn odd_digits_panic() {
        parse("abc");
    }

    #[test]
    #[should_panic(expected = "not a hex byte")]
    fn bad_digits_panic() {
        parse("zz");
    }
}
