//! Hand-written JSON output and input checks.
//!
//! Output is written straight into a `Vec<u8>`: constant fragments (joined at
//! compile time by [`frag!`]), integers formatted by [`write_u64`], strings by
//! [`write_str`]. Input JSON from C is checked with [`check_depth`] before any
//! parser sees it, and caller-supplied objects that are stored (drafts) are
//! kept as their compact text ([`minify`]), so they come back exactly as given.

/// Total length of `parts`, for [`frag!`].
pub const fn total_len(parts: &[&str]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < parts.len() {
        n += parts[i].len();
        i += 1;
    }
    n
}

/// `parts` joined into one array, for [`frag!`].
pub const fn join<const N: usize>(parts: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut k = 0;
    let mut i = 0;
    while i < parts.len() {
        let b = parts[i].as_bytes();
        let mut j = 0;
        while j < b.len() {
            out[k] = b[j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// Joins string constants (key names from [`super::keys`] among them) into
/// one `&'static [u8]` at compile time.
macro_rules! frag {
    ($($part:expr),+ $(,)?) => {{
        const PARTS: &[&str] = &[$($part),+];
        const N: usize = $crate::model::json::total_len(PARTS);
        const BYTES: [u8; N] = $crate::model::json::join::<N>(PARTS);
        &BYTES as &'static [u8]
    }};
}
pub(crate) use frag;

const DIGITS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the decimal form of `v`.
#[inline]
pub fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i] = DIGITS[d];
        buf[i + 1] = DIGITS[d + 1];
    }
    if v >= 10 {
        let d = v as usize * 2;
        i -= 2;
        buf[i] = DIGITS[d];
        buf[i + 1] = DIGITS[d + 1];
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    out.extend_from_slice(&buf[i..]);
}

/// The number of decimal digits of `v`.
#[inline]
pub fn decimal_len(v: u64) -> usize {
    match v.checked_ilog10() {
        Some(l) => l as usize + 1,
        None => 1,
    }
}

/// True when `s` can be written between quotes as it is (no `"`, `\` or
/// control character).
#[inline]
pub fn is_plain(s: &[u8]) -> bool {
    s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Appends `s` as a JSON string, quotes included.
#[inline]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_str_body(out, s.as_bytes());
    out.push(b'"');
}

/// The length of [`write_str_body`]'s output for `s`.
pub fn escaped_len(s: &[u8]) -> usize {
    s.iter()
        .map(|&b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// Appends the escaped content of `bytes` (UTF-8), without quotes.
pub fn write_str_body(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Where a JSON writer puts its output: a buffer ([`Vec<u8>`]), or a
/// [`Count`] that only adds up the length. One writer serves both, so the
/// exact length of any output follows from the code that writes it.
pub trait Out {
    fn put(&mut self, bytes: &[u8]);
    fn put_u64(&mut self, v: u64);
    /// The escaped content of a JSON string (no quotes).
    fn put_str_body(&mut self, bytes: &[u8]);
}

impl Out for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn put_u64(&mut self, v: u64) {
        write_u64(self, v);
    }
    #[inline]
    fn put_str_body(&mut self, bytes: &[u8]) {
        write_str_body(self, bytes);
    }
}

/// An [`Out`] that counts bytes.
#[derive(Default)]
pub struct Count(pub usize);

impl Out for Count {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
    #[inline]
    fn put_u64(&mut self, v: u64) {
        self.0 += decimal_len(v);
    }
    #[inline]
    fn put_str_body(&mut self, bytes: &[u8]) {
        self.0 += escaped_len(bytes);
    }
}

/// Deepest nesting of arrays and objects accepted in JSON input.
pub const MAX_DEPTH: usize = 100;

/// Follows JSON text byte by byte and tells which bytes belong to a string
/// literal (its quotes included), so that brackets and white space inside
/// strings are left alone.
#[derive(Default)]
struct StringTracker {
    inside: bool,
    escaped: bool,
}

impl StringTracker {
    /// Takes the next byte; true when it is part of a string literal.
    #[inline]
    fn in_string(&mut self, b: u8) -> bool {
        if self.inside {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.inside = false;
            }
            true
        } else {
            self.inside = b == b'"';
            self.inside
        }
    }
}

/// Checks that no array or object in `text` is nested deeper than
/// [`MAX_DEPTH`], without recursion, so hostile input cannot exhaust the
/// stack of the parser that runs after it. Says nothing about syntax.
pub fn check_depth(text: &str) -> bool {
    let mut depth = 0usize;
    let mut strings = StringTracker::default();
    for &b in text.as_bytes() {
        if strings.in_string(b) {
            continue;
        }
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// Checks that `text` is one JSON value in which no object has the same key
/// twice (after unescaping), at any depth. Stored JSON is given back as
/// text, and parsers disagree on duplicates (first wins, last wins, or
/// reject), so one is never stored. Run [`check_depth`] first: this
/// recurses. (Production input goes through typed visitors built on
/// [`UniqueKeys`], such as the draft parser; this is their test oracle.)
#[cfg(test)]
pub fn check_unique_keys(text: &str) -> bool {
    serde_json::from_str::<UniqueKeys>(text).is_ok()
}

/// A JSON value without duplicate keys, checked and dropped (see
/// [`check_unique_keys`]).
pub struct UniqueKeys;

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value without duplicate keys")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !seen.insert(key) {
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }
}

/// `text` (valid JSON) without the white space between tokens. Strings and
/// numbers are copied byte for byte, in runs.
pub fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut strings = StringTracker::default();
    let mut run = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if !strings.in_string(b) && matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            // ASCII bytes: `run` and `i` are both character boundaries.
            out.push_str(&text[run..i]);
            run = i + 1;
        }
    }
    out.push_str(&text[run..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip() {
        for v in [
            0u64,
            9,
            10,
            99,
            100,
            12345,
            u64::MAX,
            1 << 53,
            (1 << 53) + 1,
        ] {
            let mut out = Vec::new();
            write_u64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
        for v in [0u64, 9, 10, 99, 100, 1 << 62, u64::MAX] {
            assert_eq!(decimal_len(v), v.to_string().len());
        }
    }

    #[test]
    fn strings_escape_like_serde() {
        for s in [
            "plain",
            "q\"b\\s",
            "\u{1}\u{1f}\n\t\r\u{8}\u{c}",
            "中文 ✓",
            "",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
        }
        assert!(is_plain(b"user_1"));
        assert!(!is_plain(b"a\"b"));
        assert!(!is_plain(b"a\nb"));
    }

    #[test]
    fn depth_limit_ignores_brackets_in_strings() {
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(check_depth(&deep));
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(!check_depth(&deeper));
        let in_string = format!("[\"{}\\\"{}\"]", "[".repeat(500), "{".repeat(500));
        assert!(check_depth(&in_string));
    }

    #[test]
    fn duplicate_keys_are_found_at_any_depth_even_when_escaped() {
        assert!(check_unique_keys(
            r#"{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}"#
        ));
        assert!(!check_unique_keys(r#"{"a":1,"a":1}"#));
        assert!(!check_unique_keys(r#"{"x":[{"k":{"a":1,"b":2,"a":3}}]}"#));
        assert!(!check_unique_keys(r#"{"a_b":1,"a\u005fb":2}"#));
        assert!(!check_unique_keys("{"));
        assert!(!check_unique_keys("1 2"));
    }

    #[test]
    fn minify_keeps_tokens() {
        assert_eq!(
            minify("{ \"é中\" :\t[ \"a  b\\\\\" ]\r\n}"),
            "{\"é中\":[\"a  b\\\\\"]}"
        );
        assert_eq!(minify("[]"), "[]");
        let text = "{ \"a\" : [ 1 , 2.50e3 ],\n \"b\" : \" x \\\" y \" }";
        assert_eq!(minify(text), "{\"a\":[1,2.50e3],\"b\":\" x \\\" y \"}");
    }

    #[test]
    fn frag_joins_at_compile_time() {
        let f = frag!("{\"", super::super::keys::kTIMConvId, "\":");
        assert_eq!(f, b"{\"conv_id\":");
    }
}
