//! Conversation ids: up to [`INLINE`] bytes are stored in place (most user
//! and group ids are short), longer ones on the heap. Kept as bytes: an id
//! only ever comes in as checked UTF-8 and goes out as bytes into JSON.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// The longest id stored without a heap allocation.
pub const INLINE: usize = 30;

#[derive(Clone)]
pub enum ConvId {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl ConvId {
    pub fn new(id: &str) -> ConvId {
        let b = id.as_bytes();
        if b.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..b.len()].copy_from_slice(b);
            ConvId::Inline {
                len: b.len() as u8,
                bytes,
            }
        } else {
            ConvId::Heap(b.into())
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            ConvId::Inline { len, bytes } => &bytes[..*len as usize],
            ConvId::Heap(b) => b,
        }
    }

    /// The id as text (it was UTF-8 when it came in).
    pub fn to_str_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

// Hash and equality are those of the bytes, so that a map keyed by ConvId
// can be searched with a plain `&[u8]`.
impl Hash for ConvId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialEq for ConvId {
    fn eq(&self, other: &ConvId) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for ConvId {}

impl Borrow<[u8]> for ConvId {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for ConvId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.to_str_lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn short_and_long_ids_round_trip_and_are_found_by_bytes() {
        let long = "l".repeat(INLINE + 1);
        let mut m = HashMap::new();
        for (i, s) in ["", "a", &"x".repeat(INLINE), &long, "中文"]
            .into_iter()
            .enumerate()
        {
            let id = ConvId::new(s);
            assert_eq!(id.as_bytes(), s.as_bytes());
            assert_eq!(matches!(id, ConvId::Inline { .. }), s.len() <= INLINE);
            m.insert(id, i);
        }
        assert_eq!(m.get(long.as_bytes()), Some(&3));
        assert_eq!(m.get("中文".as_bytes()), Some(&4));
        assert_eq!(m.get("b".as_bytes()), None);
        assert_eq!(std::mem::size_of::<ConvId>(), 32);
    }
}
