//! Tokens of the Thrift IDL grammar.
//!
//! The token set follows Apache Thrift's `thriftl.ll` with the Kitex/thriftgo
//! additions anycall needs:
//!
//! * identifiers are `[a-zA-Z_][a-zA-Z0-9_]*` joined by dots, so
//!   `common.Base`, `Status.ACTIVE` and `api.get` are one token;
//! * definition and field keywords (`struct`, `required`, ...) are tokens of
//!   their own; base type and container names (`i32`, `list`, ...) are plain
//!   identifiers that the parser recognises in type position, so they remain
//!   usable as field and annotation names;
//! * integer literals are decimal or `0x` hex with an optional sign, double
//!   literals are `1.5`, `-2.5e-3`, `1e10` or `.5`;
//! * string literals take double or single quotes and the escapes `\"`, `\'`,
//!   `\\`, `\n`, `\t`, `\r` and `\uXXXX` (see [`decode_string`]);
//! * comments are `// ...`, `# ...` and `/* ... */`.
//!
//! Tokens carry no values: the parser slices the source with the token's span,
//! so lexing allocates nothing.

use logos::{FilterResult, Logos};

/// Why the lexer could not produce a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum LexError {
    /// A character that starts no token.
    #[default]
    UnexpectedChar,
    /// A string literal with no closing quote; the token runs to the end of its line.
    UnterminatedString,
    /// A `/*` comment with no `*/`; the token runs to the end of the input.
    UnterminatedComment,
}

/// What the lexer has learnt about the rest of the input.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Extras {
    /// A scan for the closing `"` (index 0) or `'` (index 1) already ran off
    /// the end of the input.
    ///
    /// Every later opening quote of that kind was the escaped half of a `\"`
    /// pair in that scan, so its own scan walks the same bytes in the same
    /// steps and fails too. Remembering this keeps lexing linear on inputs
    /// like `"` followed by many lines of `\"`.
    unclosed_quote: [bool; 2],
}

/// One token kind. The text is the source slice at the token's span.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(error = LexError)]
#[logos(extras = Extras)]
#[logos(skip r"[ \t\r\n\f\u{FEFF}]+")]
#[logos(skip(r"(//|#)[^\n]*", allow_greedy = true))]
pub(crate) enum Token {
    /// `include`
    #[token("include")]
    Include,
    /// `cpp_include`
    #[token("cpp_include")]
    CppInclude,
    /// `namespace`
    #[token("namespace")]
    Namespace,
    /// `typedef`
    #[token("typedef")]
    Typedef,
    /// `const`
    #[token("const")]
    Const,
    /// `enum`
    #[token("enum")]
    Enum,
    /// `struct`
    #[token("struct")]
    Struct,
    /// `union`
    #[token("union")]
    Union,
    /// `exception`
    #[token("exception")]
    Exception,
    /// `service`
    #[token("service")]
    Service,
    /// `extends`
    #[token("extends")]
    Extends,
    /// `oneway`
    #[token("oneway")]
    Oneway,
    /// `void`
    #[token("void")]
    Void,
    /// `throws`
    #[token("throws")]
    Throws,
    /// `required`
    #[token("required")]
    Required,
    /// `optional`
    #[token("optional")]
    Optional,

    /// An identifier, possibly dotted: `Item`, `common.Base`, `i32`, `true`.
    #[regex(r"[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)*")]
    Ident,
    /// A decimal integer literal with optional sign: `1`, `-5`, `+7`.
    #[regex(r"[+-]?[0-9]+")]
    Int,
    /// A hex integer literal with optional sign: `0x10`, `-0xFF`.
    #[regex(r"[+-]?0[xX][0-9a-fA-F]+")]
    HexInt,
    /// A floating-point literal: `1.5`, `-2.5e-3`, `1e10`, `.5`.
    #[regex(r"[+-]?[0-9]*\.[0-9]+([eE][+-]?[0-9]+)?")]
    #[regex(r"[+-]?[0-9]+[eE][+-]?[0-9]+")]
    Double,
    /// A string literal in double or single quotes, quotes included.
    #[token("\"", |lex| string_literal(lex, b'"'))]
    #[token("'", |lex| string_literal(lex, b'\''))]
    Str,
    /// Never produced: `/* ... */` comments are skipped by their callback.
    #[token("/*", block_comment)]
    BlockComment,

    /// `{`
    #[token("{")]
    LBrace,
    /// `}`
    #[token("}")]
    RBrace,
    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,
    /// `<`
    #[token("<")]
    Lt,
    /// `>`
    #[token(">")]
    Gt,
    /// `[`
    #[token("[")]
    LBracket,
    /// `]`
    #[token("]")]
    RBracket,
    /// `,`
    #[token(",")]
    Comma,
    /// `;`
    #[token(";")]
    Semi,
    /// `:`
    #[token(":")]
    Colon,
    /// `=`
    #[token("=")]
    Eq,
    /// `*`
    #[token("*")]
    Star,
    /// `&`, marking a C++ reference field (`1: optional Node & next`).
    #[token("&")]
    Amp,

    /// End of input; produced by the parser, never by the lexer.
    Eof,
}

impl Token {
    /// True for keyword tokens, which the parser also accepts where a plain
    /// name is expected (field names, annotation keys, ...).
    pub(crate) fn is_keyword(self) -> bool {
        matches!(
            self,
            Token::Include
                | Token::CppInclude
                | Token::Namespace
                | Token::Typedef
                | Token::Const
                | Token::Enum
                | Token::Struct
                | Token::Union
                | Token::Exception
                | Token::Service
                | Token::Extends
                | Token::Oneway
                | Token::Void
                | Token::Throws
                | Token::Required
                | Token::Optional
        )
    }

    /// True for the keywords that start a top-level header or definition.
    pub(crate) fn starts_definition(self) -> bool {
        matches!(
            self,
            Token::Include
                | Token::CppInclude
                | Token::Namespace
                | Token::Typedef
                | Token::Const
                | Token::Enum
                | Token::Struct
                | Token::Union
                | Token::Exception
                | Token::Service
        )
    }
}

/// Scans a string literal after its opening quote. Strings may span lines;
/// a literal whose closing quote never comes ends at the end of its line, so
/// that lexing resumes on the next one.
fn string_literal(lex: &mut logos::Lexer<'_, Token>, quote: u8) -> Result<(), LexError> {
    let rest = lex.remainder().as_bytes();
    let kind = usize::from(quote == b'\'');
    if !lex.extras.unclosed_quote[kind] {
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                b'\\' => i += 2,
                b if b == quote => {
                    lex.bump(i + 1);
                    return Ok(());
                }
                _ => i += 1,
            }
        }
        lex.extras.unclosed_quote[kind] = true;
    }
    let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    lex.bump(line_end);
    Err(LexError::UnterminatedString)
}

/// Skips a block comment after its `/*`.
fn block_comment(lex: &mut logos::Lexer<'_, Token>) -> FilterResult<(), LexError> {
    let rest = lex.remainder();
    if let Some(end) = rest.find("*/") {
        lex.bump(end + 2);
        FilterResult::Skip
    } else {
        lex.bump(rest.len());
        FilterResult::Error(LexError::UnterminatedComment)
    }
}

/// A problem inside a string literal, relative to the literal's first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EscapeError {
    /// Byte offsets of the bad escape within the literal.
    pub(crate) range: std::ops::Range<usize>,
    /// What is wrong.
    pub(crate) message: &'static str,
}

/// Decodes a string literal (with its quotes; the closing quote may be
/// missing) into its value.
///
/// Escapes `\"`, `\'`, `\\`, `\n`, `\t`, `\r` and `\uXXXX` (with UTF-16
/// surrogate pairs) are resolved. Any other backslash is kept as written, so
/// patterns such as `"\d+"` survive. Malformed `\u` escapes are reported
/// through `on_error` and replaced by U+FFFD.
pub(crate) fn decode_string(literal: &str, mut on_error: impl FnMut(EscapeError)) -> String {
    let bytes = literal.as_bytes();
    let Some(&quote) = bytes.first() else {
        return String::new();
    };
    let mut body = &literal[1..];
    if !body.is_empty() && body.as_bytes()[body.len() - 1] == quote && !ends_in_escape(body) {
        body = &body[..body.len() - 1];
    }
    if !body.contains('\\') {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            '"' | '\'' | '\\' => out.push(e),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'u' => {
                let start = i + 1; // offset in `literal` of the backslash
                let (ch, len) = decode_unicode_escape(&body[i..]);
                for _ in 1..len {
                    chars.next();
                }
                match ch {
                    Ok(ch) => out.push(ch),
                    Err(message) => {
                        on_error(EscapeError {
                            range: start..start + len + 1,
                            message,
                        });
                        out.push(char::REPLACEMENT_CHARACTER);
                    }
                }
            }
            _ => {
                out.push('\\');
                out.push(e);
            }
        }
    }
    out
}

/// True when `body` ends in an odd number of backslashes followed by its last
/// byte, i.e. the last byte is escaped (an unterminated literal such as `"ab\"`).
fn ends_in_escape(body: &str) -> bool {
    let bytes = &body.as_bytes()[..body.len() - 1];
    bytes.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// Decodes `\uXXXX` (or a surrogate pair `\uXXXX\uXXXX`) at the start of `s`.
/// Returns the character and how many characters after the backslash it used.
fn decode_unicode_escape(s: &str) -> (Result<char, &'static str>, usize) {
    fn hex4(s: &str, at: usize) -> Option<u32> {
        let digits = s.get(at..at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }
    // s = "\uXXXX..."; the escape's characters after the backslash are `uXXXX`.
    let Some(hi) = hex4(s, 2) else {
        let len = s[1..]
            .char_indices()
            .skip(1)
            .take_while(|&(_, c)| c.is_ascii_hexdigit())
            .count();
        return (
            Err("invalid unicode escape, expected four hex digits"),
            len + 1,
        );
    };
    match hi {
        0xD800..=0xDBFF => {
            let lo = if s[6..].starts_with("\\u") {
                hex4(s, 8)
            } else {
                None
            };
            match lo {
                Some(lo @ 0xDC00..=0xDFFF) => {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    (char::from_u32(c).ok_or("invalid unicode escape"), 11)
                }
                _ => (Err("unpaired surrogate in unicode escape"), 5),
            }
        }
        0xDC00..=0xDFFF => (Err("unpaired surrogate in unicode escape"), 5),
        _ => (char::from_u32(hi).ok_or("invalid unicode escape"), 5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> Vec<(Result<Token, LexError>, &str)> {
        let mut lexer = Token::lexer(src);
        let mut out = Vec::new();
        while let Some(tok) = lexer.next() {
            out.push((tok, lexer.slice()));
        }
        out
    }

    fn decode(lit: &str) -> String {
        decode_string(lit, |e| panic!("unexpected escape error {e:?}"))
    }

    #[test]
    fn keywords_and_identifiers() {
        let toks = lex("struct structs common.Base Status.ACTIVE api.get i32 _x include.x");
        let kinds: Vec<_> = toks.iter().map(|(t, s)| (*t, *s)).collect();
        assert_eq!(
            kinds,
            vec![
                (Ok(Token::Struct), "struct"),
                (Ok(Token::Ident), "structs"),
                (Ok(Token::Ident), "common.Base"),
                (Ok(Token::Ident), "Status.ACTIVE"),
                (Ok(Token::Ident), "api.get"),
                (Ok(Token::Ident), "i32"),
                (Ok(Token::Ident), "_x"),
                (Ok(Token::Ident), "include.x"),
            ]
        );
    }

    #[test]
    fn trailing_dot_is_not_part_of_identifier() {
        let toks = lex("a. b");
        assert_eq!(toks[0], (Ok(Token::Ident), "a"));
        assert_eq!(toks[1], (Err(LexError::UnexpectedChar), "."));
        assert_eq!(toks[2], (Ok(Token::Ident), "b"));
    }

    #[test]
    fn numbers() {
        let toks = lex("1 -5 +7 0x10 -0xff 1.5 -2.5e-3 1e10 .5 1:");
        let kinds: Vec<_> = toks.iter().map(|(t, s)| (*t, *s)).collect();
        assert_eq!(
            kinds,
            vec![
                (Ok(Token::Int), "1"),
                (Ok(Token::Int), "-5"),
                (Ok(Token::Int), "+7"),
                (Ok(Token::HexInt), "0x10"),
                (Ok(Token::HexInt), "-0xff"),
                (Ok(Token::Double), "1.5"),
                (Ok(Token::Double), "-2.5e-3"),
                (Ok(Token::Double), "1e10"),
                (Ok(Token::Double), ".5"),
                (Ok(Token::Int), "1"),
                (Ok(Token::Colon), ":"),
            ]
        );
    }

    #[test]
    fn comments_are_skipped() {
        let toks = lex("a // x\n# y\nb /* c \n d */ c /**/ d");
        let texts: Vec<_> = toks.iter().map(|(_, s)| *s).collect();
        assert_eq!(texts, vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn unterminated_block_comment_is_an_error() {
        let toks = lex("a /* never closed");
        assert_eq!(
            toks[1],
            (Err(LexError::UnterminatedComment), "/* never closed")
        );
        assert_eq!(toks.len(), 2);
    }

    #[test]
    fn string_literals() {
        let toks = lex(r#""a\"b" 'c\'d' "multi
line" 'x"y'"#);
        let kinds: Vec<_> = toks.iter().map(|(t, s)| (*t, *s)).collect();
        assert_eq!(
            kinds,
            vec![
                (Ok(Token::Str), r#""a\"b""#),
                (Ok(Token::Str), r"'c\'d'"),
                (Ok(Token::Str), "\"multi\nline\""),
                (Ok(Token::Str), r#"'x"y'"#),
            ]
        );
    }

    #[test]
    fn unterminated_string_ends_at_line_end() {
        let toks = lex("\"abc\nx");
        assert_eq!(toks[0], (Err(LexError::UnterminatedString), "\"abc"));
        assert_eq!(toks[1], (Ok(Token::Ident), "x"));
        let toks = lex("'abc\\");
        assert_eq!(toks[0], (Err(LexError::UnterminatedString), "'abc\\"));
    }

    #[test]
    fn unclosed_quotes_stay_unclosed() {
        let toks = lex("\"\n\\\"\n\\\"\n'a'");
        assert_eq!(
            toks,
            [
                (Err(LexError::UnterminatedString), "\""),
                (Err(LexError::UnexpectedChar), "\\"),
                (Err(LexError::UnterminatedString), "\""),
                (Err(LexError::UnexpectedChar), "\\"),
                (Err(LexError::UnterminatedString), "\""),
                (Ok(Token::Str), "'a'"),
            ]
        );
    }

    #[test]
    fn unknown_characters() {
        let toks = lex("a $ b");
        assert_eq!(toks[1], (Err(LexError::UnexpectedChar), "$"));
        for text in ["é", "中", "😀", "\u{0}"] {
            let toks = lex(text);
            assert_eq!(toks, [(Err(LexError::UnexpectedChar), text)]);
        }
    }

    #[test]
    fn decodes_escapes() {
        assert_eq!(decode(r#""plain""#), "plain");
        assert_eq!(decode(r#""a\"b""#), "a\"b");
        assert_eq!(decode(r"'a\'b'"), "a'b");
        assert_eq!(decode(r#"'json:\"id\"'"#), "json:\"id\"");
        assert_eq!(decode(r#""\\ \n \t \r""#), "\\ \n \t \r");
        assert_eq!(decode(r#""\u00e9\u4e2d""#), "é中");
        assert_eq!(decode(r#""\uD83D\uDE00""#), "😀");
        assert_eq!(decode(r#""\d+""#), "\\d+");
        assert_eq!(decode("\"unterminated"), "unterminated");
        assert_eq!(decode("\"ends in quote\\\""), "ends in quote\"");
        assert_eq!(decode("\"\""), "");
        assert_eq!(decode("\""), "");
    }

    #[test]
    fn reports_bad_unicode_escapes() {
        let mut errors = Vec::new();
        let value = decode_string(r#""a\u12G4b\uD800c""#, |e| errors.push(e));
        assert_eq!(value, "a\u{FFFD}G4b\u{FFFD}c");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].range, 2..6);
        assert_eq!(errors[1].range, 9..15);
        assert_eq!(errors[1].message, "unpaired surrogate in unicode escape");
    }
}
